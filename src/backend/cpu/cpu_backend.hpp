// The `cpu` backend: oneDNN convolutions in blocked layouts with fused
// activations and residual adds, zero-copy dense concatenation, and weights
// packed once per compiled model. fp32, or bf16 where the CPU has AVX512-BF16.
#pragma once

#include <memory>

#include "backend/backend.hpp"

namespace resr {

std::unique_ptr<Backend> make_cpu_backend();

}  // namespace resr
