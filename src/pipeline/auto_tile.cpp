#include "pipeline/auto_tile.hpp"

#include <algorithm>

namespace resr {

namespace {

constexpr int kStep = 16;
constexpr int kSmallestTile = 32;

int64_t round_up(int64_t v, int multiple) { return (v + multiple - 1) / multiple * multiple; }

}  // namespace

int auto_tile_size(const MemoryBudget& budget, int width, int height, int pad,
                   const std::function<int64_t(int tile)>& other_bytes) {
  const int multiple = std::max(budget.input_multiple, 1);
  const auto fits = [&](int tile) {
    const int64_t in_w = tile <= 0 ? width : std::min(tile + 2 * pad, width);
    const int64_t in_h = tile <= 0 ? height : std::min(tile + 2 * pad, height);
    const int64_t bytes =
        budget.model->weight_bytes() +
        budget.model->activation_bytes(round_up(in_h, multiple), round_up(in_w, multiple)) +
        other_bytes(tile);
    return bytes <= budget.bytes;
  };
  if (fits(0)) return 0;
  int tile = kSmallestTile;
  while (tile + kStep < std::max(width, height) && fits(tile + kStep)) tile += kStep;
  return tile;
}

}  // namespace resr
