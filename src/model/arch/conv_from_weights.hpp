// Looks up one convolution's tensors in a state dict and checks its shape, so
// arch builders read as the architecture and the checks live in one place.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/graph.hpp"
#include "core/tensor.hpp"
#include "resr/status.hpp"

namespace resr {

struct ConvShape {
  std::optional<int> in_channels;  // empty: any
  std::optional<int> out_channels;
};

Result<ConvLayer> conv_from_weights(const std::map<std::string, Tensor>& tensors,
                                    const std::string& prefix, ConvShape expected,
                                    Activation activation, float negative_slope);

}  // namespace resr
