#include "tiling/output_size.hpp"

#include <algorithm>
#include <cmath>

namespace resr {

int upscaled_side(int side, int model_scale, double outscale) {
  if (outscale <= 0) return side * model_scale;
  return std::max(1, static_cast<int>(std::lround(side * outscale)));
}

PixelSize output_size(int width, int height, int model_scale, double outscale) {
  return {upscaled_side(width, model_scale, outscale),
          upscaled_side(height, model_scale, outscale)};
}

}  // namespace resr
