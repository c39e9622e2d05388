#include "tiling/bicubic_upscale.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace resr {

namespace {

float keys_cubic(float d) {
  constexpr float a = -0.5f;
  d = std::fabs(d);
  if (d < 1.0f) return ((a + 2.0f) * d - (a + 3.0f)) * d * d + 1.0f;
  if (d < 2.0f) return ((a * d - 5.0f * a) * d + 8.0f * a) * d - 4.0f * a;
  return 0.0f;
}

// For output index o along an axis of n input samples: 4 source indices (clamped)
// and their weights.
struct Taps {
  std::array<int, 4> index;
  std::array<float, 4> weight;
};

std::vector<Taps> axis_taps(int n, int factor) {
  std::vector<Taps> taps(static_cast<size_t>(n) * factor);
  for (int o = 0; o < n * factor; ++o) {
    const float src = (o + 0.5f) / factor - 0.5f;
    const int base = static_cast<int>(std::floor(src));
    for (int k = 0; k < 4; ++k) {
      const int i = base - 1 + k;
      taps[o].index[k] = std::clamp(i, 0, n - 1);
      taps[o].weight[k] = keys_cubic(src - static_cast<float>(i));
    }
  }
  return taps;
}

}  // namespace

Tensor upscale_bicubic(const Tensor& in, int factor) {
  const int64_t c = in.channels(), h = in.height(), w = in.width();
  const std::vector<Taps> tx = axis_taps(static_cast<int>(w), factor);
  const std::vector<Taps> ty = axis_taps(static_cast<int>(h), factor);
  // Horizontal pass into {C, H, W * factor}, then vertical.
  Tensor wide = Tensor::chw(c, h, w * factor);
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w * factor; ++x) {
        float v = 0.0f;
        for (int k = 0; k < 4; ++k) v += tx[x].weight[k] * in.at(ch, y, tx[x].index[k]);
        wide.at(ch, y, x) = v;
      }
    }
  }
  Tensor out = Tensor::chw(c, h * factor, w * factor);
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t y = 0; y < h * factor; ++y) {
      for (int64_t x = 0; x < w * factor; ++x) {
        float v = 0.0f;
        for (int k = 0; k < 4; ++k) v += ty[y].weight[k] * wide.at(ch, ty[y].index[k], x);
        out.at(ch, y, x) = v;
      }
    }
  }
  return out;
}

}  // namespace resr
