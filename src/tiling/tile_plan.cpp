#include "tiling/tile_plan.hpp"

#include <algorithm>

namespace resr {

Span TileAxis::produced(int k) const {
  Span s = cores.at(k);
  if (k > 0) s.begin -= blend;
  if (k + 1 < count()) s.end += blend;
  return s;
}

Span TileAxis::band_after(int k) const {
  const int boundary = cores.at(k).end;
  return {boundary - blend, boundary + blend};
}

TileAxis plan_tile_axis(int length, int tile, int pad, int blend, int align) {
  TileAxis axis;
  axis.length = length;
  if (length <= 0) return axis;
  align = std::max(align, 1);
  pad = (std::max(pad, 0) + align - 1) / align * align;
  // Plan in units of `align` pixels; 64-bit products: lengths near the pixel
  // caps times a tile index overflow int.
  const long long units = (static_cast<long long>(length) + align - 1) / align;
  const long long pad_units = pad / align;
  const long long tile_units = std::max(1, tile / align);
  const long long n = (tile <= 0 || tile >= length) ? 1 : (units + tile_units - 1) / tile_units;
  // Edge tiles have context on one side only: their cores are longer by the
  // pad, so every tile reads the same length (one model input shape, one set
  // of primitives) and none reads context it does not use. Too short an axis
  // for that keeps cores of equal length.
  const long long inner = units - 2 * pad_units;
  const bool edge_cores = n > 1 && inner >= n;
  auto boundary = [&](long long k) {
    if (k == 0) return 0;
    if (k == n) return length;
    const long long unit = edge_cores ? pad_units + inner * k / n : units * k / n;
    return static_cast<int>(std::min<long long>(length, unit * align));
  };
  int smallest_core = length, longest_input = 0;
  for (long long k = 0; k < n; ++k) {
    const int begin = boundary(k), end = boundary(k + 1);
    axis.cores.push_back({begin, end});
    axis.inputs.push_back({std::max(0, begin - pad), std::min(length, end + pad)});
    smallest_core = std::min(smallest_core, end - begin);
    longest_input = std::max(longest_input, axis.inputs.back().size());
  }
  // Rounding leaves inputs a unit apart: widen the shorter ones inward.
  for (Span& in : axis.inputs) {
    const int grow = longest_input - in.size();
    const int start = std::clamp(in.begin - grow, 0, length - longest_input);
    if (grow > 0 && start % align == 0) in = {start, start + longest_input};
  }
  // A band reaches `blend` pixels into the neighbour, which must have computed
  // them from its own context (<= pad) and must not meet its other band.
  axis.blend = n == 1 ? 0 : std::max(0, std::min({blend, pad, smallest_core / 2}));
  return axis;
}

TilePlan plan_tiles(int width, int height, int tile, int pad, int blend, int align) {
  return {plan_tile_axis(width, tile, pad, blend, align),
          plan_tile_axis(height, tile, pad, blend, align)};
}

std::vector<float> blend_ramp(const TileAxis& axis, int scale) {
  const int width = 2 * axis.blend * scale;
  std::vector<float> ramp(static_cast<size_t>(width));
  for (int o = 0; o < width; ++o) ramp[o] = static_cast<float>((o + 0.5) / width);
  return ramp;
}

}  // namespace resr
