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
  e.conv_pd = conv_primitive_desc(config, height, width, engine_);
  e.conv = dnnl::convolution_forward(e.conv_pd);
  if (config.activation == Activation::kPRelu) {
    e.prelu_pd = prelu_primitive_desc(config, height, width, engine_);
    e.prelu = dnnl::prelu_forward(*e.prelu_pd);
  }
  entries_.push_back(std::move(e));
  return entries_.back();
}

}  // namespace resr::cpu
