#include "backend/cpu/conv_primitive_cache.hpp"

namespace resr::cpu {

const ConvPrimitiveCache::Entry& ConvPrimitiveCache::get(const ConvConfig& config, int64_t height,
                                                         int64_t width) {
  for (const Entry& e : entries_) {
    if (e.height == height && e.width == width && e.config == config) return e;
  }
  Entry e;
  e.config = config;
  e.height = height;
  e.width = width;
  auto winograd = winograd_applies(config)
                      ? winograd_conv_primitive_desc(config, height, width, engine_)
                      : std::nullopt;
  e.winograd = winograd.has_value();
  e.conv_pd = e.winograd ? *winograd : direct_conv_primitive_desc(config, height, width, engine_);
  e.conv = dnnl::convolution_forward(e.conv_pd);
  if (e.winograd) {
    e.activation_pd = activation_primitive_desc(config, height, width, engine_);
    if (e.activation_pd) e.activation = dnnl::eltwise_forward(*e.activation_pd);
    e.residual_pd = residual_primitive_desc(config, height, width, engine_);
    if (e.residual_pd) e.residual = dnnl::binary(*e.residual_pd);
  }
  if (config.activation == Activation::kPRelu) {
    e.prelu_pd = prelu_primitive_desc(config, height, width, engine_);
    e.prelu = dnnl::prelu_forward(*e.prelu_pd);
  }
  entries_.push_back(std::move(e));
  return entries_.back();
}

}  // namespace resr::cpu
