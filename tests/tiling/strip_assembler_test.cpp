#include "tiling/strip_assembler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>

namespace resr {
namespace {

using Field = std::function<float(int c, int y, int x)>;

// Feeds every tile of `plan` with values from `field` (per tile, so a field may
// depend on which tile produces it) and returns all finished rows in order.
std::vector<OutputStrip> assemble(const TilePlan& plan, int scale, int channels, int bits,
                                  const std::function<Field(int col, int row)>& field) {
  StripAssembler assembler(plan, scale, channels, bits);
  std::vector<OutputStrip> strips;
  for (int r = 0; r < plan.rows.count(); ++r) {
    for (int c = 0; c < plan.columns.count(); ++c) {
      const Span pc = plan.columns.produced(c), pr = plan.rows.produced(r);
      Tensor t = Tensor::chw(channels, pr.size() * scale, pc.size() * scale);
      const Field f = field(c, r);
      for (int ch = 0; ch < channels; ++ch)
        for (int y = 0; y < t.height(); ++y)
          for (int x = 0; x < t.width(); ++x)
            t.at(ch, y, x) = f(ch, pr.begin * scale + y, pc.begin * scale + x);
      auto strip = assembler.add_tile(t);
      EXPECT_TRUE(strip.is_ok()) << strip.status().message();
      EXPECT_EQ(strip->has_value(), c + 1 == plan.columns.count());
      if (strip->has_value()) strips.push_back(std::move(**strip));
    }
  }
  return strips;
}

TEST(StripAssembler, StripsCoverEveryOutputRowOnceInOrder) {
  const TilePlan plan = plan_tiles(50, 37, 16, 6, 3);
  const auto strips =
      assemble(plan, 2, 1, 8, [](int, int) { return [](int, int, int) { return 0.5f; }; });
  ASSERT_EQ(static_cast<int>(strips.size()), plan.rows.count());
  int next = 0;
  for (const OutputStrip& s : strips) {
    EXPECT_EQ(s.y_begin, next);
    EXPECT_EQ(s.width, 100);
    EXPECT_EQ(s.bytes.size(), static_cast<size_t>(s.y_end - s.y_begin) * 100);
    next = s.y_end;
  }
  EXPECT_EQ(next, 74);
}

TEST(StripAssembler, TilesThatAgreeGiveExactlyTheirCommonValues) {
  // Where overlapping tiles agree, blending must not change a single bit.
  const TilePlan plan = plan_tiles(45, 40, 12, 5, 4);
  auto field = [](int c, int y, int x) {
    return std::fmod(0.013f * (x * 7 + y * 3 + c * 11), 1.0f);
  };
  const auto strips = assemble(plan, 3, 3, 16, [&](int, int) { return Field(field); });
  for (const OutputStrip& s : strips) {
    for (int y = s.y_begin; y < s.y_end; ++y) {
      for (int x = 0; x < s.width; ++x) {
        for (int c = 0; c < 3; ++c) {
          uint16_t v;
          std::memcpy(&v, s.row(y) + (x * 3 + c) * 2, 2);
          ASSERT_EQ(v, static_cast<uint16_t>(field(c, y, x) * 65535.0f + 0.5f))
              << "y " << y << " x " << x;
        }
      }
    }
  }
}

TEST(StripAssembler, BandsCrossFadeLinearlyBetweenNeighbours) {
  // Two tiles side by side, 0 on the left and 1 on the right: across the band
  // (8 input px * scale 2 = 16 output px) the output ramps (o + 0.5) / 16.
  const TilePlan plan = plan_tiles(40, 10, 20, 8, 4);
  ASSERT_EQ(plan.columns.count(), 2);
  const auto strips = assemble(plan, 2, 1, 16, [](int col, int) {
    return [col](int, int, int) { return static_cast<float>(col); };
  });
  ASSERT_EQ(strips.size(), 1u);
  const OutputStrip& s = strips[0];
  auto at = [&](int x) {
    uint16_t v;
    std::memcpy(&v, s.row(5) + x * 2, 2);
    return static_cast<int>(v);
  };
  EXPECT_EQ(at(31), 0);
  for (int o = 0; o < 16; ++o) {
    EXPECT_EQ(at(32 + o), static_cast<int>((o + 0.5f) / 16 * 65535.0f + 0.5f)) << o;
  }
  EXPECT_EQ(at(48), 65535);
}

TEST(StripAssembler, FourTilesMeetWithBilinearWeightsAtTheCorner) {
  // Tile (c, r) holds c + 2r over [0, 3]; scaled by 1/3 into [0, 1].
  const TilePlan plan = plan_tiles(20, 20, 10, 4, 2);
  const auto strips = assemble(plan, 1, 1, 16, [](int c, int r) {
    return [c, r](int, int, int) { return (c + 2.0f * r) / 3.0f; };
  });
  auto at = [&](int y, int x) {
    for (const OutputStrip& s : strips) {
      if (y >= s.y_begin && y < s.y_end) {
        uint16_t v;
        std::memcpy(&v, s.row(y) + x * 2, 2);
        return v / 65535.0;
      }
    }
    return -1.0;
  };
  // Band [8, 12) on both axes; ramp = (o + 0.5) / 4.
  for (int y = 8; y < 12; ++y) {
    for (int x = 8; x < 12; ++x) {
      const double ty = (y - 8 + 0.5) / 4, tx = (x - 8 + 0.5) / 4;
      EXPECT_NEAR(at(y, x), (tx + 2 * ty) / 3.0, 1.0 / 65535) << y << "," << x;
    }
  }
  EXPECT_NEAR(at(0, 19), 1.0 / 3, 1e-5);
  EXPECT_NEAR(at(19, 0), 2.0 / 3, 1e-5);
}

TEST(StripAssembler, QuantisesWithRoundingAndClampsOutOfRangeAndNaN) {
  const TilePlan plan = plan_tiles(4, 1, 0, 0, 0);
  const float values[4] = {-0.3f, 0.5f, 1.7f, std::nanf("")};
  const auto strips =
      assemble(plan, 1, 1, 8, [&](int, int) { return [&](int, int, int x) { return values[x]; }; });
  ASSERT_EQ(strips.size(), 1u);
  EXPECT_EQ(strips[0].bytes, (std::vector<uint8_t>{0, 128, 255, 0}));
}

TEST(StripAssembler, RejectsATileOfTheWrongShape) {
  StripAssembler assembler(plan_tiles(8, 8, 0, 0, 0), 2, 3, 8);
  auto r = assembler.add_tile(Tensor::chw(3, 8, 8));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
  EXPECT_NE(r.status().message().find("[3, 16, 16]"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace resr
