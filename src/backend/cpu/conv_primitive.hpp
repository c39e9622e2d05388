// How a conv step becomes oneDNN primitives: memory descriptors for the
// activation layouts, and conv + bias + activation + folded residual adds as
// one primitive with post-ops (direct) or as a Winograd conv followed by an
// in-place pass for what its post-ops cannot carry. The same description
// serves weight packing at compile time and primitive creation per input size,
// so both agree on the weight layout.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
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

// Whether a conv of this shape and type runs as Winograd F(4x4, 3x3) (a
// quarter of a direct 3x3 conv's multiplications; oneDNN 2.6 offers it for
// fp32 with 16-channel multiples, without post-ops) where oneDNN has it.
bool winograd_applies(const ConvConfig& config);

// Weights are format_tag::any: the primitive picks their layout. Scratchpad is
// user-managed so one arena serves every primitive of a session.
//
// The direct conv, with activation and residual adds fused as post-ops.
dnnl::convolution_forward::primitive_desc direct_conv_primitive_desc(const ConvConfig& config,
                                                                     int64_t height, int64_t width,
                                                                     const dnnl::engine& engine);
// The Winograd conv (bias only), if oneDNN has one for this size here; the
// caller runs activation_primitive_desc and residual_primitive_desc after it.
std::optional<dnnl::convolution_forward::primitive_desc> winograd_conv_primitive_desc(
    const ConvConfig& config, int64_t height, int64_t width, const dnnl::engine& engine);
// Post-op index of each residual's binary_add in the fused conv, for
// DNNL_ARG_ATTR_MULTIPLE_POST_OP.
std::vector<int> residual_post_op_indices(const ConvConfig& config);

// Unfused (Winograd) convs: the activation as an in-place eltwise, when there is one.
std::optional<dnnl::eltwise_forward::primitive_desc> activation_primitive_desc(
    const ConvConfig& config, int64_t height, int64_t width, const dnnl::engine& engine);
// Unfused convs: out = scale0 * out + other0, then (scale_k * . + other_k) as
// post-ops, in place; SRC_1 is other0 and post-op indices come from
// unfused_residual_post_op_indices.
std::optional<dnnl::binary::primitive_desc> residual_primitive_desc(const ConvConfig& config,
                                                                    int64_t height, int64_t width,
                                                                    const dnnl::engine& engine);
// Post-op index of residual k >= 1 in residual_primitive_desc's primitive.
std::vector<int> unfused_residual_post_op_indices(const ConvConfig& config);
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
  // `from` re-laid out into `to`'s memory.
  void copy(dnnl::memory from, dnnl::memory to);

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
