#include "backend/cpu/conv_primitive.hpp"

#include <algorithm>

#include "backend/cpu/omp_thread_scope.hpp"

namespace resr::cpu {

using dnnl::algorithm;
using dnnl::memory;

memory::data_type dnnl_type(ElementType type) {
  return type == ElementType::kF32 ? memory::data_type::f32 : memory::data_type::bf16;
}

memory::desc activation_desc(Layout layout, ElementType type, int channels, int64_t height,
                             int64_t width) {
  return memory::desc(
      {1, channels, height, width}, dnnl_type(type),
      layout == Layout::kBlocked ? memory::format_tag::nChw16c : memory::format_tag::nchw);
}

dnnl::convolution_forward::primitive_desc conv_primitive_desc(const ConvConfig& config,
                                                              int64_t height, int64_t width,
                                                              const dnnl::engine& engine) {
  const memory::desc src =
      activation_desc(config.src_layout, config.type, config.in_channels, height, width);
  const memory::desc dst =
      activation_desc(config.dst_layout, config.type, config.out_channels, height, width);
  const memory::desc weights(
      {config.out_channels, config.in_channels, config.kernel, config.kernel},
      dnnl_type(config.type), memory::format_tag::any);
  const memory::desc bias({config.out_channels}, memory::data_type::f32, memory::format_tag::x);
  const memory::dim pad = config.kernel / 2;
  const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                             algorithm::convolution_direct, src, weights, bias, dst,
                                             {1, 1}, {pad, pad}, {pad, pad});
  dnnl::post_ops ops;
  if (config.activation == Activation::kRelu || config.activation == Activation::kLeakyRelu) {
    ops.append_eltwise(1.0f, algorithm::eltwise_relu, config.negative_slope, 0.0f);
  }
  // A sum post-op after an eltwise falls back to the reference conv in oneDNN
  // 2.6; binary_add keeps the JIT kernel.
  for (float scale : config.residual_scales) {
    if (scale != 1.0f) ops.append_eltwise(1.0f, algorithm::eltwise_linear, scale, 0.0f);
    ops.append_binary(algorithm::binary_add, dst);
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::convolution_forward::primitive_desc(desc, attr, engine);
}

std::vector<int> residual_post_op_indices(const ConvConfig& config) {
  int index = config.activation == Activation::kRelu || config.activation == Activation::kLeakyRelu;
  std::vector<int> out;
  for (float scale : config.residual_scales) {
    if (scale != 1.0f) ++index;
    out.push_back(index++);
  }
  return out;
}

dnnl::prelu_forward::primitive_desc prelu_primitive_desc(const ConvConfig& config, int64_t height,
                                                         int64_t width,
                                                         const dnnl::engine& engine) {
  const memory::desc data =
      activation_desc(config.dst_layout, config.type, config.out_channels, height, width);
  // `any` slopes let the JIT kernel pick its layout; plain ones get the reference kernel.
  const memory::desc slopes({1, config.out_channels, 1, 1}, dnnl_type(config.type),
                            memory::format_tag::any);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::prelu_forward::primitive_desc(
      dnnl::prelu_forward::desc(dnnl::prop_kind::forward_inference, data, slopes), attr, engine);
}

memory Relayout::operator()(memory from, const memory::desc& to) {
  memory out(to, engine_);
  const memory::desc from_desc = from.get_desc();
  auto known = std::find_if(known_.begin(), known_.end(),
                            [&](const Known& k) { return k.from == from_desc && k.to == to; });
  if (known == known_.end()) {
    known_.push_back({from_desc, to, dnnl::reorder(from, out)});
    known = known_.end() - 1;
  }
  // Weights are small: one thread beats the cost of waking a team, which on a
  // busy machine is a scheduling quantum per parallel region.
  OmpThreadScope one_thread(1);
  known->reorder.execute(stream_, from, out);
  stream_.wait();
  return out;
}

}  // namespace resr::cpu
