#include "model/arch/conv_from_weights.hpp"

namespace resr {

Result<ConvLayer> conv_from_weights(const std::map<std::string, Tensor>& tensors,
                                    const std::string& prefix, ConvShape expected,
                                    Activation activation, float negative_slope) {
  auto w = tensors.find(prefix + ".weight");
  if (w == tensors.end()) {
    return error(ErrorCode::kInvalidModel, "missing tensor '" + prefix + ".weight'");
  }
  const std::vector<int64_t>& s = w->second.shape;
  if (s.size() != 4 || s[2] != s[3] || s[2] % 2 == 0 || s[0] < 1 || s[1] < 1) {
    return error(ErrorCode::kInvalidModel, "tensor '" + prefix + ".weight' has shape " +
                                               shape_to_string(s) +
                                               "; a square odd-sized conv kernel [out, in, k, k] "
                                               "was expected");
  }
  if ((expected.in_channels && s[1] != *expected.in_channels) ||
      (expected.out_channels && s[0] != *expected.out_channels)) {
    return error(ErrorCode::kInvalidModel,
                 "tensor '" + prefix + ".weight' has shape " + shape_to_string(s) + "; expected [" +
                     (expected.out_channels ? std::to_string(*expected.out_channels) : "*") + ", " +
                     (expected.in_channels ? std::to_string(*expected.in_channels) : "*") +
                     ", k, k] to fit the rest of the network");
  }
  ConvLayer layer;
  layer.name = prefix;
  layer.out_channels = static_cast<int>(s[0]);
  layer.in_channels = static_cast<int>(s[1]);
  layer.kernel = static_cast<int>(s[2]);
  layer.weight = w->second.data;
  auto b = tensors.find(prefix + ".bias");
  if (b == tensors.end()) {
    layer.bias.assign(layer.out_channels, 0.0f);
  } else if (b->second.numel() != static_cast<size_t>(layer.out_channels)) {
    return error(ErrorCode::kInvalidModel, "tensor '" + prefix + ".bias' has shape " +
                                               shape_to_string(b->second.shape) + "; expected [" +
                                               std::to_string(layer.out_channels) + "]");
  } else {
    layer.bias = b->second.data;
  }
  layer.activation = activation;
  layer.negative_slope = negative_slope;
  return layer;
}

}  // namespace resr
