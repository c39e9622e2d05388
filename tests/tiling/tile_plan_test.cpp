#include "tiling/tile_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace resr {
namespace {

TEST(TilePlan, CoresPartitionTheAxisAndEveryTileReadsTheSameLength) {
  for (int length : {1, 7, 64, 65, 100, 127, 1000}) {
    for (int tile : {0, 1, 16, 32, 64, 200, 2000}) {
      const TileAxis axis = plan_tile_axis(length, tile, 10, 4);
      ASSERT_GE(axis.count(), 1);
      int expected_begin = 0;
      for (int k = 0; k < axis.count(); ++k) {
        const Span core = axis.cores[k];
        EXPECT_EQ(core.begin, expected_begin);
        EXPECT_GT(core.size(), 0);
        // One input length (one model shape), never more than the tile and its context.
        EXPECT_EQ(axis.inputs[k].size(), axis.inputs[0].size()) << length << " " << tile;
        if (tile > 0) {
          EXPECT_LE(axis.inputs[k].size(), tile + 2 * 10);
        }
        EXPECT_LE(axis.inputs[k].begin, std::max(0, core.begin - 10));
        EXPECT_GE(axis.inputs[k].end, std::min(length, core.end + 10));
        expected_begin = core.end;
      }
      EXPECT_EQ(expected_begin, length);
      const int minimal = tile <= 0 ? 1 : (length + tile - 1) / tile;
      EXPECT_EQ(axis.count(), std::max(1, std::min(minimal, length)));
    }
  }
}

TEST(TilePlan, EdgeTilesTakeThePadAsCoreAndAllTilesReadRealContext) {
  const TileAxis axis = plan_tile_axis(100, 30, 10, 4);
  ASSERT_EQ(axis.count(), 4);  // cores 30, 20, 20, 30: inputs of 40 each
  EXPECT_EQ(axis.cores[0].end, 30);
  EXPECT_EQ(axis.cores[1].end, 50);
  EXPECT_EQ(axis.cores[2].end, 70);
  EXPECT_EQ(axis.inputs[0].begin, 0);
  EXPECT_EQ(axis.inputs[0].end, 40);
  EXPECT_EQ(axis.inputs[1].begin, 20);
  EXPECT_EQ(axis.inputs[1].end, 60);
  EXPECT_EQ(axis.inputs[3].begin, 60);
  EXPECT_EQ(axis.inputs[3].end, 100);
}

TEST(TilePlan, ProducedRegionsOverlapOnlyInTheBandsAndStayInsideTheInputs) {
  for (int pad : {0, 1, 5, 24}) {
    for (int blend : {0, 2, 8, 40}) {
      const TileAxis axis = plan_tile_axis(203, 48, pad, blend);
      EXPECT_LE(axis.blend, pad);
      EXPECT_LE(axis.blend, blend);
      for (int k = 0; k < axis.count(); ++k) {
        const Span p = axis.produced(k);
        EXPECT_GE(p.begin, axis.inputs[k].begin);
        EXPECT_LE(p.end, axis.inputs[k].end);
        EXPECT_GE(axis.cores[k].size(), 2 * axis.blend);
        if (k + 1 < axis.count()) {
          // The overlap with the next tile is exactly the band.
          const Span band = axis.band_after(k);
          EXPECT_EQ(band.begin, axis.produced(k + 1).begin);
          EXPECT_EQ(band.end, p.end);
          EXPECT_EQ(band.size(), 2 * axis.blend);
        }
      }
    }
  }
}

TEST(TilePlan, BlendIsLimitedByPadAndByHalfTheSmallestCore) {
  EXPECT_EQ(plan_tile_axis(100, 50, 24, 8).blend, 8);
  EXPECT_EQ(plan_tile_axis(100, 50, 5, 8).blend, 5);
  const TileAxis narrow = plan_tile_axis(100, 10, 24, 8);
  int smallest = 100;
  for (const Span& core : narrow.cores) smallest = std::min(smallest, core.size());
  EXPECT_LT(smallest, 16);
  EXPECT_EQ(narrow.blend, smallest / 2);
  EXPECT_EQ(plan_tile_axis(100, 100, 24, 8).blend, 0);  // one tile: nothing to blend
}

TEST(TilePlan, RampRisesSymmetricallyAndPairsSumToOne) {
  const TileAxis axis = plan_tile_axis(64, 32, 8, 2);
  const std::vector<float> ramp = blend_ramp(axis, 4);
  ASSERT_EQ(ramp.size(), 16u);
  EXPECT_FLOAT_EQ(ramp[0], 0.5f / 16);
  EXPECT_FLOAT_EQ(ramp[15], 15.5f / 16);
  for (size_t o = 0; o < ramp.size(); ++o) {
    EXPECT_FLOAT_EQ(ramp[o] + ramp[ramp.size() - 1 - o], 1.0f);
    if (o > 0) {
      EXPECT_GT(ramp[o], ramp[o - 1]);
    }
  }
}

TEST(TilePlan, PlansHugeAxesWithoutOverflow) {
  const TileAxis axis = plan_tile_axis(2'000'000'000, 1'000'000, 1, 1);
  EXPECT_EQ(axis.count(), 2000);
  EXPECT_EQ(axis.cores.back().end, 2'000'000'000);
  EXPECT_EQ(axis.cores[1000].begin, 1'000'000'000);
}

TEST(TilePlan, AlignedPlansStartTilesOnMultiplesOfTheAlignment) {
  for (int length : {9, 23, 64, 101}) {
    for (int tile : {3, 7, 16}) {
      const TileAxis axis = plan_tile_axis(length, tile, 5, 2, 4);
      int expected_begin = 0;
      for (int k = 0; k < axis.count(); ++k) {
        EXPECT_EQ(axis.cores[k].begin, expected_begin);
        EXPECT_EQ(axis.cores[k].begin % 4, 0);
        EXPECT_EQ(axis.inputs[k].begin % 4, 0);
        EXPECT_GT(axis.cores[k].size(), 0);
        EXPECT_LE(axis.inputs[k].size(), std::max(tile / 4, 1) * 4 + 16);
        // The pad is rounded up to 8: at least 8 pixels of context where there is room.
        EXPECT_LE(axis.inputs[k].begin, std::max(0, axis.cores[k].begin - 8));
        expected_begin = axis.cores[k].end;
      }
      EXPECT_EQ(expected_begin, length);
    }
  }
}

}  // namespace
}  // namespace resr
