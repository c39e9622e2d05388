// .safetensors: an 8-byte little-endian header length, a JSON header, raw data.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "model/weights.hpp"
#include "resr/status.hpp"

namespace resr {

bool looks_like_safetensors(std::span<const uint8_t> bytes);
Result<LoadedWeights> load_safetensors(std::span<const uint8_t> bytes, const std::string& origin);

}  // namespace resr
