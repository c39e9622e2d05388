// The only place that knows which backends this build has.
#include <algorithm>
#include <thread>

#include "backend/backend.hpp"
#include "backend/cpu/cpu_backend.hpp"
#include "backend/reference/reference_backend.hpp"

namespace resr {

std::vector<std::string> backend_names() { return {"cpu", "reference"}; }

Result<std::unique_ptr<Backend>> make_backend(const std::string& name) {
  if (name == "cpu") return make_cpu_backend();
  if (name == "reference") return make_reference_backend();
  if (name == "cuda" || name == "gpu") {
    return error(ErrorCode::kUnavailable,
                 "backend '" + name +
                     "' is not available: this build has no GPU backend; use "
                     "--backend cpu (or reference)");
  }
  std::string known;
  for (const std::string& n : backend_names()) known += (known.empty() ? "" : ", ") + n;
  return error(ErrorCode::kInvalidArgument, "unknown backend '" + name + "'; available: " + known);
}

const char* precision_name(Precision precision) {
  return precision == Precision::kBf16 ? "bf16" : "fp32";
}

int resolve_thread_count(int threads) {
  if (threads > 0) return threads;
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

int max_thread_count() { return std::min(4 * resolve_thread_count(0), 1024); }

}  // namespace resr
