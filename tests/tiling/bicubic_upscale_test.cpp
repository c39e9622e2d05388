#include "tiling/bicubic_upscale.hpp"

#include <gtest/gtest.h>

namespace resr {
namespace {

TEST(BicubicUpscale, KeepsConstantsAndLinearRampsExactly) {
  Tensor in = Tensor::chw(2, 5, 6);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 6; ++x) {
      in.at(0, y, x) = 0.25f;
      in.at(1, y, x) = 0.1f * x;
    }
  const Tensor out = upscale_bicubic(in, 4);
  ASSERT_EQ(out.shape, (std::vector<int64_t>{2, 20, 24}));
  for (int y = 0; y < 20; ++y) {
    for (int x = 0; x < 24; ++x) EXPECT_NEAR(out.at(0, y, x), 0.25f, 1e-6);
    // Away from the clamped edges a cubic reproduces a ramp: sample at (x + 0.5) / 4 - 0.5.
    for (int x = 6; x < 18; ++x) EXPECT_NEAR(out.at(1, y, x), 0.1f * ((x + 0.5f) / 4 - 0.5f), 1e-5);
  }
}

TEST(BicubicUpscale, MatchesHandComputedKeysWeights) {
  // An impulse: output at offset d from the impulse is the Keys kernel at d.
  Tensor in = Tensor::chw(1, 1, 9);
  in.at(0, 0, 4) = 1.0f;
  const Tensor out = upscale_bicubic(in, 2);
  // Output x = 8 samples source 3.75 (d = 0.25), x = 9 samples 4.25, x = 7 samples 3.25 (d = 0.75).
  auto keys = [](float d) {
    return d < 1 ? 1.5f * d * d * d - 2.5f * d * d + 1
                 : -0.5f * d * d * d + 2.5f * d * d - 4 * d + 2;
  };
  EXPECT_NEAR(out.at(0, 0, 8), keys(0.25f), 1e-6);
  EXPECT_NEAR(out.at(0, 0, 9), keys(0.25f), 1e-6);
  EXPECT_NEAR(out.at(0, 0, 7), keys(0.75f), 1e-6);
  EXPECT_NEAR(out.at(0, 0, 5), keys(1.75f), 1e-6);
  EXPECT_LT(out.at(0, 0, 5), 0.0f);  // the negative lobe
  EXPECT_NEAR(out.at(0, 0, 3), 0.0f, 1e-7);
}

}  // namespace
}  // namespace resr
