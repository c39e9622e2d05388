// ONNX models (protobuf), for the ops Real-ESRGAN exports use.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "model/weights.hpp"
#include "resr/status.hpp"

namespace resr {

bool looks_like_onnx(std::span<const uint8_t> bytes);
Result<LoadedWeights> load_onnx(std::span<const uint8_t> bytes, const std::string& origin);

}  // namespace resr
