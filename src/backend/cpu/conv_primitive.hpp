// How a conv step becomes a oneDNN primitive: memory descriptors for the
// activation layouts, and conv + bias + activation + folded residual adds as
// one primitive with post-ops. The same description serves weight packing at
// compile time and primitive creation per input size, so both agree on the
// weight layout the primitive picks.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "backend/cpu/activation_view.hpp"
#include "core/graph.hpp"

namespace resr::cpu {

struct ConvConfig {
  int in_channels = 0;
  int out_channels = 0;
  int kernel = 3;
  Layout src_layout = Layout::kBlocked;
  Layout dst_layout = Layout::kBlocked;  // also the layout of every residual operand
  ElementType type = ElementType::kF32;
  // kNone, kRelu or kLeakyRelu as a post-op; kPRelu runs as its own primitive.
  Activation activation = Activation::kNone;
  float negative_slope = 0.0f;
  std::vector<float> residual_scales;  // one binary_add post-op each, after `scale *`

  bool operator==(const ConvConfig&) const = default;
};

dnnl::memory::data_type dnnl_type(ElementType type);
// {1, C, H, W} in `layout`.
dnnl::memory::desc activation_desc(Layout layout, ElementType type, int channels, int64_t height,
                                   int64_t width);
inline dnnl::memory::desc activation_desc(const ActivationView& v) {
  return activation_desc(v.layout, v.type, v.channels, v.height, v.width);
}

// Weights are format_tag::any: the primitive picks their layout. Scratchpad is
// user-managed so one arena serves every primitive of a session.
dnnl::convolution_forward::primitive_desc conv_primitive_desc(const ConvConfig& config,
                                                              int64_t height, int64_t width,
                                                              const dnnl::engine& engine);
// Post-op index of each residual's binary_add, for DNNL_ARG_ATTR_MULTIPLE_POST_OP.
std::vector<int> residual_post_op_indices(const ConvConfig& config);
// In-place per-channel PReLU over a conv's output.
dnnl::prelu_forward::primitive_desc prelu_primitive_desc(const ConvConfig& config, int64_t height,
                                                         int64_t width, const dnnl::engine& engine);

// Re-lays out weights and slopes into the layouts primitives pick, with one
// reorder primitive per pair of layouts.
class Relayout {
 public:
  explicit Relayout(const dnnl::engine& engine) : engine_(engine), stream_(engine) {}
  // A new memory holding `from` laid out as `to`.
  dnnl::memory operator()(dnnl::memory from, const dnnl::memory::desc& to);

 private:
  struct Known {
    dnnl::memory::desc from;
    dnnl::memory::desc to;
    dnnl::reorder reorder;
  };
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::vector<Known> known_;
};

}  // namespace resr::cpu
