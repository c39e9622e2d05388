#include "backend/cpu/conv_primitive.hpp"

#include <algorithm>
#include <string_view>

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

namespace {

bool fused_activation(const ConvConfig& config) {
  return config.activation == Activation::kRelu || config.activation == Activation::kLeakyRelu;
}

// `scale * . + other` for each residual from `first` on.
void append_residuals(const ConvConfig& config, size_t first, const memory::desc& dst,
                      dnnl::post_ops& ops) {
  for (size_t k = first; k < config.residual_scales.size(); ++k) {
    const float scale = config.residual_scales[k];
    if (scale != 1.0f) ops.append_eltwise(1.0f, algorithm::eltwise_linear, scale, 0.0f);
    ops.append_binary(algorithm::binary_add, dst);
  }
}

// Post-op index of each binary_add append_residuals(first) adds after `index` others.
std::vector<int> residual_indices(const ConvConfig& config, size_t first, int index) {
  std::vector<int> out;
  for (size_t k = first; k < config.residual_scales.size(); ++k) {
    if (config.residual_scales[k] != 1.0f) ++index;
    out.push_back(index++);
  }
  return out;
}

dnnl::primitive_attr user_scratchpad(const dnnl::post_ops& ops = {}) {
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::convolution_forward::desc conv_desc(const ConvConfig& config, algorithm alg, int64_t height,
                                          int64_t width) {
  const memory::desc src =
      activation_desc(config.src_layout, config.type, config.in_channels, height, width);
  const memory::desc dst =
      activation_desc(config.dst_layout, config.type, config.out_channels, height, width);
  const memory::desc weights(
      {config.out_channels, config.in_channels, config.kernel, config.kernel},
      dnnl_type(config.type), memory::format_tag::any);
  const memory::desc bias({config.out_channels}, memory::data_type::f32, memory::format_tag::x);
  const memory::dim pad = config.kernel / 2;
  return dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, alg, src, weights,
                                         bias, dst, {1, 1}, {pad, pad}, {pad, pad});
}

}  // namespace

// Only for multiples of 64 outputs: with 32 (RRDB's dense growth) the input
// transform, paid per input channel, costs about what the cheaper product
// saves (measured on x4plus: no gain end to end).
bool winograd_applies(const ConvConfig& config) {
  return config.type == ElementType::kF32 && config.kernel == 3 &&
         config.in_channels % kChannelBlock == 0 && config.out_channels % 64 == 0 &&
         config.src_layout == Layout::kBlocked && config.dst_layout == Layout::kBlocked;
}

std::optional<dnnl::convolution_forward::primitive_desc> winograd_conv_primitive_desc(
    const ConvConfig& config, int64_t height, int64_t width, const dnnl::engine& engine) {
  // next_impl() reads the op and attr descriptions again: they must outlive the iteration.
  const auto desc = conv_desc(config, algorithm::convolution_winograd, height, width);
  const dnnl::primitive_attr attr = user_scratchpad();
  dnnl::convolution_forward::primitive_desc pd(desc, attr, engine, /*allow_empty=*/true);
  if (!pd) return std::nullopt;
  // oneDNN lists F(2x2, 3x3) first; F(4x4, 3x3) saves twice as much.
  do {
    if (std::string_view(pd.impl_info_str()).find("wino_4x3") != std::string_view::npos) return pd;
  } while (pd.next_impl());
  return std::nullopt;
}

dnnl::convolution_forward::primitive_desc direct_conv_primitive_desc(const ConvConfig& config,
                                                                     int64_t height, int64_t width,
                                                                     const dnnl::engine& engine) {
  dnnl::post_ops ops;
  if (fused_activation(config)) {
    ops.append_eltwise(1.0f, algorithm::eltwise_relu, config.negative_slope, 0.0f);
  }
  // A sum post-op after an eltwise falls back to the reference conv in oneDNN
  // 2.6; binary_add keeps the JIT kernel.
  append_residuals(
      config, 0,
      activation_desc(config.dst_layout, config.type, config.out_channels, height, width), ops);
  return dnnl::convolution_forward::primitive_desc(
      conv_desc(config, algorithm::convolution_direct, height, width), user_scratchpad(ops),
      engine);
}

std::vector<int> residual_post_op_indices(const ConvConfig& config) {
  return residual_indices(config, 0, fused_activation(config) ? 1 : 0);
}

std::optional<dnnl::eltwise_forward::primitive_desc> activation_primitive_desc(
    const ConvConfig& config, int64_t height, int64_t width, const dnnl::engine& engine) {
  if (!fused_activation(config)) return std::nullopt;
  return dnnl::eltwise_forward::primitive_desc(
      dnnl::eltwise_forward::desc(
          dnnl::prop_kind::forward_inference, algorithm::eltwise_relu,
          activation_desc(config.dst_layout, config.type, config.out_channels, height, width),
          config.negative_slope, 0.0f),
      user_scratchpad(), engine);
}

std::optional<dnnl::binary::primitive_desc> residual_primitive_desc(const ConvConfig& config,
                                                                    int64_t height, int64_t width,
                                                                    const dnnl::engine& engine) {
  if (config.residual_scales.empty()) return std::nullopt;
  const memory::desc data =
      activation_desc(config.dst_layout, config.type, config.out_channels, height, width);
  dnnl::post_ops ops;
  append_residuals(config, 1, data, ops);
  dnnl::primitive_attr attr = user_scratchpad(ops);
  attr.set_scales(DNNL_ARG_SRC_0, 0, {config.residual_scales[0]});
  return dnnl::binary::primitive_desc(dnnl::binary::desc(algorithm::binary_add, data, data, data),
                                      attr, engine);
}

std::vector<int> unfused_residual_post_op_indices(const ConvConfig& config) {
  return residual_indices(config, 1, 0);
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
  copy(from, out);
  return out;
}

void Relayout::copy(memory from, memory to) {
  const memory::desc from_desc = from.get_desc(), to_desc = to.get_desc();
  auto known = std::find_if(known_.begin(), known_.end(),
                            [&](const Known& k) { return k.from == from_desc && k.to == to_desc; });
  if (known == known_.end()) {
    known_.push_back({from_desc, to_desc, dnnl::reorder(from, to)});
    known = known_.end() - 1;
  }
  // Weights are small: one thread beats the cost of waking a team, which on a
  // busy machine is a scheduling quantum per parallel region.
  OmpThreadScope one_thread(1);
  known->reorder.execute(stream_, from, to);
  stream_.wait();
}

}  // namespace resr::cpu
