#include "backend/cpu/dnnl_errors.hpp"

namespace resr::cpu {

Status status_from_dnnl_error(const dnnl::error& e, const std::string& context) {
  if (e.status == dnnl_out_of_memory) {
    return Status(ErrorCode::kResourceExhausted, context + ": oneDNN ran out of memory");
  }
  return Status(ErrorCode::kInternal, context + ": oneDNN error (status " +
                                          std::to_string(static_cast<int>(e.status)) +
                                          "): " + e.what());
}

}  // namespace resr::cpu
