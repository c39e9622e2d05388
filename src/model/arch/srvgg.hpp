// SRVGGNetCompact (realesr-general-x4v3, realesr-animevideov3): a plain conv
// chain ending in pixel shuffle, plus a nearest upsample of the input.
#pragma once

#include <string>

#include "model/model.hpp"
#include "model/weights.hpp"

namespace resr {

bool looks_like_srvgg(const LoadedWeights& weights);
// `activation_hint` ("relu"/"leakyrelu") is used only when the file has no
// PReLU weights and does not state its activation.
Result<Model> build_srvgg(const LoadedWeights& weights, const std::string& activation_hint);

}  // namespace resr
