// oneDNN reports failures by throwing dnnl::error; allocation by std::bad_alloc.
// Both stop here and become Status values with context.
#pragma once

#include <new>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "resr/status.hpp"

namespace resr::cpu {

Status status_from_dnnl_error(const dnnl::error& e, const std::string& context);

// Runs `f` (returning Status or Result<T>) and converts what it throws.
template <typename F>
auto catch_dnnl_errors(const std::string& context, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const dnnl::error& e) {
    return status_from_dnnl_error(e, context);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kResourceExhausted, context + ": out of memory");
  }
}

}  // namespace resr::cpu
