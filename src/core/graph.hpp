// The graph IR every model format lowers to and every backend executes.
//
// Nodes are in topological order; node i produces value i. A convolution takes
// one or more inputs and reads them as if concatenated along channels: dense
// blocks need no Concat node, and a backend may place those inputs side by
// side in one buffer (zero-copy concat).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace resr {

enum class Activation { kNone, kRelu, kLeakyRelu, kPRelu };

struct ConvLayer {
  std::string name;  // basicsr parameter prefix, e.g. "body.0.rdb1.conv1"
  int in_channels = 0;
  int out_channels = 0;
  int kernel = 3;             // square kernel, stride 1, "same" zero padding of kernel / 2
  std::vector<float> weight;  // {out, in, kernel, kernel}
  std::vector<float> bias;    // {out}; zeros when the file has none
  Activation activation = Activation::kNone;
  float negative_slope = 0.0f;      // kLeakyRelu
  std::vector<float> prelu_slopes;  // kPRelu: one per output channel
};

enum class OpKind {
  kInput,            // the image, 3 x H x W in [0, 1]
  kConv,             // conv over the channel-concatenation of all inputs
  kAdd,              // alpha * in0 + beta * in1
  kUpsampleNearest,  // factor x factor nearest-neighbour
  kPixelShuffle,     // depth to space by factor (PyTorch order)
  kPixelUnshuffle,   // space to depth by factor (PyTorch order)
};

struct Node {
  OpKind kind = OpKind::kInput;
  std::vector<int> inputs;  // producing node indices
  int conv = -1;            // kConv: index into Graph::convs
  float alpha = 1.0f;       // kAdd
  float beta = 1.0f;        // kAdd
  int factor = 1;           // kUpsampleNearest, kPixelShuffle, kPixelUnshuffle
  int channels = 0;         // channels of the value this node produces
};

struct Graph {
  std::vector<ConvLayer> convs;
  std::vector<Node> nodes;  // nodes[0] is the input; nodes.back() is the output
  int scale = 1;            // output size = input size * scale

  int add_input();
  int add_conv(std::vector<int> inputs, ConvLayer layer);
  int add_add(int a, int b, float alpha, float beta);
  int add_upsample_nearest(int in, int factor);
  int add_pixel_shuffle(int in, int factor);
  int add_pixel_unshuffle(int in, int factor);
  int output() const { return static_cast<int>(nodes.size()) - 1; }

  int64_t parameter_count() const;
  // Floating-point operations (2 per multiply-add) per input pixel.
  double flops_per_input_pixel() const;
};

}  // namespace resr
