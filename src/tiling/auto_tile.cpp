#include "tiling/auto_tile.hpp"

#include <algorithm>

#include "tiling/tile_plan.hpp"

namespace resr {

namespace {

constexpr int kStep = 16;
constexpr int kSmallestTile = 32;
int64_t round_up(int64_t v, int multiple) { return (v + multiple - 1) / multiple * multiple; }

}  // namespace

int64_t model_bytes(const MemoryBudget& budget, int width, int height, int tile, int pad) {
  const int multiple = std::max(budget.input_multiple, 1);
  // What the tiles really read (edge cores are longer; see plan_tile_axis).
  const TilePlan plan = plan_tiles(width, height, tile, pad, 0, multiple);
  const int64_t in_w = plan.columns.inputs[0].size(), in_h = plan.rows.inputs[0].size();
  return budget.model->weight_bytes() +
         budget.model->activation_bytes(round_up(in_h, multiple), round_up(in_w, multiple));
}

int auto_tile_size(const MemoryBudget& budget, int width, int height, int pad,
                   const std::function<int64_t(int tile)>& other_bytes) {
  const auto fits = [&](int tile) {
    return budget.reserved + model_bytes(budget, width, height, tile, pad) + other_bytes(tile) <=
           budget.bytes;
  };
  if (fits(0)) return 0;
  int tile = kSmallestTile;
  while (tile + kStep < std::max(width, height) && fits(tile + kStep)) tile += kStep;
  return tile;
}

}  // namespace resr
