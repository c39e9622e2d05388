// Conv (and PReLU) primitives by configuration and size. A model repeats a
// handful of conv shapes many times (x4plus: 69 dense blocks of the same five
// convs), so each distinct one is described and JIT-compiled once.
#pragma once

#include <deque>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>

#include "backend/cpu/conv_primitive.hpp"

namespace resr::cpu {

class ConvPrimitiveCache {
 public:
  struct Entry {
    ConvConfig config;
    int64_t height = 0;
    int64_t width = 0;
    // Winograd where it applies and oneDNN has it at this size;
    // then activation and residual adds run as the primitives below.
    bool winograd = false;
    dnnl::convolution_forward::primitive_desc conv_pd;
    dnnl::convolution_forward conv;
    std::optional<dnnl::eltwise_forward::primitive_desc> activation_pd;
    dnnl::eltwise_forward activation;
    std::optional<dnnl::binary::primitive_desc> residual_pd;
    dnnl::binary residual;
    std::optional<dnnl::prelu_forward::primitive_desc> prelu_pd;  // config.activation == kPRelu
    dnnl::prelu_forward prelu;
  };

  explicit ConvPrimitiveCache(dnnl::engine engine) : engine_(std::move(engine)) {}

  // Throws dnnl::error when oneDNN cannot create the primitive. The reference
  // stays valid for the cache's lifetime.
  const Entry& get(const ConvConfig& config, int64_t height, int64_t width);

 private:
  dnnl::engine engine_;
  std::deque<Entry> entries_;
};

}  // namespace resr::cpu
