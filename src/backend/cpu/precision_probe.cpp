#include "backend/cpu/precision_probe.hpp"

#include <algorithm>
#include <chrono>
#include <oneapi/dnnl/dnnl.hpp>

#include "backend/cpu/conv_primitive.hpp"
#include "backend/cpu/cpu_target.hpp"

namespace resr::cpu {

namespace {

// Best of a few runs of the probe conv in `type`, in seconds.
double probe_seconds(ElementType type) {
  constexpr int kSide = 64;
  ConvConfig config;
  config.in_channels = 64;
  config.out_channels = 64;
  config.type = type;
  config.activation = Activation::kLeakyRelu;
  config.negative_slope = 0.2f;
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const auto pd = direct_conv_primitive_desc(config, kSide, kSide, engine);
  const dnnl::convolution_forward conv(pd);
  dnnl::memory src(pd.src_desc(), engine), weights(pd.weights_desc(), engine),
      bias(pd.bias_desc(), engine), dst(pd.dst_desc(), engine),
      scratch(pd.scratchpad_desc(), engine);
  // Zeros everywhere: the timing does not depend on the values.
  for (dnnl::memory* m : {&src, &weights, &bias})
    std::fill_n(static_cast<char*>(m->get_data_handle()), m->get_desc().get_size(), 0);
  double best = 1e9;
  for (int i = 0; i < 4; ++i) {
    const auto start = std::chrono::steady_clock::now();
    conv.execute(stream, {{DNNL_ARG_SRC, src},
                          {DNNL_ARG_WEIGHTS, weights},
                          {DNNL_ARG_BIAS, bias},
                          {DNNL_ARG_DST, dst},
                          {DNNL_ARG_SCRATCHPAD, scratch}});
    stream.wait();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i > 0) best = std::min(best, seconds);  // the first run warms caches
  }
  return best;
}

}  // namespace

bool bf16_is_faster() {
  static const bool faster = [] {
    if (!cpu_has_bf16()) return false;
    try {
      return probe_seconds(ElementType::kBf16) * 1.1 < probe_seconds(ElementType::kF32);
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return faster;
}

}  // namespace resr::cpu
