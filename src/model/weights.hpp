// Weights as a model file gives them, before an architecture is recognised.
// Every format loader produces this; arch builders consume it.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/graph.hpp"
#include "core/tensor.hpp"

namespace resr {

struct LoadedWeights {
  // basicsr parameter names ("conv_first.weight", "body.0.rdb1.conv1.bias",
  // "body.3.weight" for an SRVGG PReLU...), after unwrapping params_ema/params,
  // stripping "module." and mapping old ESRGAN names.
  std::map<std::string, Tensor> tensors;
  // Set only by formats that state the activation (ncnn, ONNX). State dicts
  // carry no parameters for ReLU/LeakyReLU, so .pth/.safetensors leave it empty.
  std::optional<Activation> activation;
  float negative_slope = 0.0f;
  std::string format;  // "pth", "safetensors", "ncnn", "onnx"
};

// Renames keys to basicsr naming: strips "module.", maps old ESRGAN keys
// ("model.0.weight", "model.1.sub.N.RDB1.conv1.0.weight", ...).
std::map<std::string, Tensor> normalize_state_dict_keys(std::map<std::string, Tensor> tensors);

}  // namespace resr
