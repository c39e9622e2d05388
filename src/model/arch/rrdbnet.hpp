// RRDBNet (ESRGAN / Real-ESRGAN x4plus, x2plus, anime 6B): dense residual blocks.
#pragma once

#include "model/model.hpp"
#include "model/weights.hpp"

namespace resr {

bool looks_like_rrdbnet(const LoadedWeights& weights);
// Fills graph and the arch fields of info; num_block, num_feat, num_grow and
// scale are read from the tensor shapes.
Result<Model> build_rrdbnet(const LoadedWeights& weights);

}  // namespace resr
