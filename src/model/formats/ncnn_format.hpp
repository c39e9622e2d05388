// ncnn models: a text .param graph (magic 7767517) plus a .bin of weights.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "model/weights.hpp"
#include "resr/status.hpp"

namespace resr {

bool looks_like_ncnn_param(std::span<const uint8_t> bytes);
Result<LoadedWeights> load_ncnn(std::string_view param_text, std::span<const uint8_t> bin,
                                const std::string& origin);

}  // namespace resr
