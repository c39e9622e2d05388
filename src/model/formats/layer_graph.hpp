// A model file's layer graph (ncnn .param, ONNX), lowered into the few layer
// kinds Real-ESRGAN's architectures are made of. Graph formats name no
// weights: recognise_layer_graph() matches this graph against RRDBNet and
// SRVGGNetCompact and gives each weight its basicsr name.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/graph.hpp"
#include "core/tensor.hpp"

namespace resr {

enum class LayerKind {
  kInput,
  kConv,        // stride 1, "same" padding; weight {out, in, k, k}
  kActivation,  // ReLU, LeakyReLU or PReLU of its one input
  kScale,       // input * scale
  kAdd,         // coefficients[0] * in0 + coefficients[1] * in1
  kConcat,      // along channels
  kUpsampleNearest,
  kPixelShuffle,    // depth to space by factor
  kPixelUnshuffle,  // space to depth by factor
};

struct Layer {
  LayerKind kind = LayerKind::kInput;
  std::vector<int> inputs;  // indices of earlier layers
  std::string source;       // where it is in the file, e.g. "Convolution 'Conv_13'"

  Tensor weight;  // kConv
  Tensor bias;    // kConv: {out}, or empty when the file has none

  Activation activation = Activation::kNone;  // kActivation
  float negative_slope = 0.0f;                // kActivation, kLeakyRelu
  Tensor prelu_slopes;                        // kActivation, kPRelu: {channels} or {1} (shared)

  float scale = 1.0f;               // kScale
  std::vector<float> coefficients;  // kAdd, one per input

  int factor = 1;  // kUpsampleNearest, kPixelShuffle, kPixelUnshuffle
  // kPixelShuffle/kPixelUnshuffle: channels ordered block-position-major
  // (ONNX DCR, SpaceToDepth) instead of PyTorch's channel-major order.
  bool block_major = false;
};

struct LayerGraph {
  std::vector<Layer> layers;  // topological order: inputs refer to earlier layers
  int output = -1;

  int add(Layer layer) {
    layers.push_back(std::move(layer));
    return static_cast<int>(layers.size()) - 1;
  }
};

}  // namespace resr
