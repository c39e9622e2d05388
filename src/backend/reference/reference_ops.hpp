// The graph's operators on {C, H, W} tensors, one function each.
#pragma once

#include <vector>

#include "core/graph.hpp"
#include "core/tensor.hpp"

namespace resr::reference {

// Convolution over the channel-concatenation of `inputs`, then bias and activation.
Tensor conv2d(const std::vector<const Tensor*>& inputs, const ConvLayer& layer);
Tensor add(const Tensor& a, const Tensor& b, float alpha, float beta);
Tensor upsample_nearest(const Tensor& in, int factor);
Tensor pixel_shuffle(const Tensor& in, int factor);
Tensor pixel_unshuffle(const Tensor& in, int factor);

}  // namespace resr::reference
