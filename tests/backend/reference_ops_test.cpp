// The oracle itself is checked against hand-computed values.
#include "backend/reference/reference_ops.hpp"

#include <gtest/gtest.h>

namespace resr {
namespace {

Tensor iota(int64_t c, int64_t h, int64_t w) {
  Tensor t = Tensor::chw(c, h, w);
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(i);
  return t;
}

TEST(ReferenceOps, ConvSumsTheNeighbourhoodWithZeroPadding) {
  Tensor in = Tensor::chw(1, 3, 3);
  for (float& v : in.data) v = 1.0f;
  ConvLayer layer{"c", 1, 1, 3, std::vector<float>(9, 1.0f), {0.5f}, Activation::kNone, 0, {}};
  Tensor out = reference::conv2d({&in}, layer);
  // Corners see 4 ones, edges 6, the centre 9; plus the bias.
  EXPECT_FLOAT_EQ(out.at(0, 0, 0), 4.5f);
  EXPECT_FLOAT_EQ(out.at(0, 0, 1), 6.5f);
  EXPECT_FLOAT_EQ(out.at(0, 1, 1), 9.5f);
  EXPECT_FLOAT_EQ(out.at(0, 2, 2), 4.5f);
}

TEST(ReferenceOps, ConvReadsMultipleInputsAsOneConcatenation) {
  Tensor a = iota(1, 2, 2), b = iota(1, 2, 2);
  for (float& v : b.data) v *= 10;
  // 1x1 kernel: out = 2 * a + 3 * b.
  ConvLayer layer{"c", 2, 1, 1, {2.0f, 3.0f}, {0.0f}, Activation::kNone, 0, {}};
  Tensor out = reference::conv2d({&a, &b}, layer);
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(out.data[i], 2.0f * i + 30.0f * i);
}

TEST(ReferenceOps, ActivationsApplyPerChannel) {
  Tensor in = Tensor::chw(1, 1, 1);
  in.data[0] = -1.0f;
  ConvLayer prelu{"c", 1, 2, 1, {1.0f, 2.0f}, {0, 0}, Activation::kPRelu, 0, {0.25f, 0.5f}};
  Tensor out = reference::conv2d({&in}, prelu);
  EXPECT_FLOAT_EQ(out.data[0], -0.25f);
  EXPECT_FLOAT_EQ(out.data[1], -1.0f);
  ConvLayer leaky{"c", 1, 1, 1, {1.0f}, {0}, Activation::kLeakyRelu, 0.2f, {}};
  EXPECT_FLOAT_EQ(reference::conv2d({&in}, leaky).data[0], -0.2f);
  ConvLayer relu{"c", 1, 1, 1, {1.0f}, {0}, Activation::kRelu, 0, {}};
  EXPECT_FLOAT_EQ(reference::conv2d({&in}, relu).data[0], 0.0f);
}

TEST(ReferenceOps, PixelShuffleFollowsPyTorchOrder) {
  Tensor in = iota(4, 1, 1);  // channels 0..3 -> one 2x2 block
  Tensor out = reference::pixel_shuffle(in, 2);
  ASSERT_EQ(out.shape, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(out.data, (std::vector<float>{0, 1, 2, 3}));
  Tensor back = reference::pixel_unshuffle(out, 2);
  EXPECT_EQ(back.data, in.data);
}

TEST(ReferenceOps, UnshuffleThenShuffleIsIdentity) {
  Tensor in = iota(3, 4, 8);
  EXPECT_EQ(reference::pixel_shuffle(reference::pixel_unshuffle(in, 4), 4).data, in.data);
}

TEST(ReferenceOps, UpsampleNearestRepeatsPixels) {
  Tensor in = iota(1, 1, 2);
  Tensor out = reference::upsample_nearest(in, 2);
  EXPECT_EQ(out.data, (std::vector<float>{0, 0, 1, 1, 0, 0, 1, 1}));
}

TEST(ReferenceOps, AddScalesBothOperands) {
  Tensor a = iota(1, 1, 3), b = iota(1, 1, 3);
  EXPECT_EQ(reference::add(a, b, 0.5f, 2.0f).data, (std::vector<float>{0, 2.5f, 5.0f}));
}

}  // namespace
}  // namespace resr
