#include "model/formats/onnx/rearrangement.hpp"

#include <gtest/gtest.h>

namespace resr {
namespace {

using Shape = std::vector<int64_t>;

void expect_shuffle(const Rearrangement& r, LayerKind kind, int factor, bool block_major) {
  const auto found = r.as_pixel_shuffle();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, kind);
  EXPECT_EQ(found->factor, factor);
  EXPECT_EQ(found->block_major, block_major);
}

// basicsr's pixel_unshuffle: view(b, c, h/s, s, w/s, s).permute(0, 1, 3, 5, 2, 4).reshape.
TEST(Rearrangement, ViewPermuteReshapeIsAPixelUnshuffle) {
  Rearrangement r({1, 3, 12, 20});
  ASSERT_TRUE(r.reshape({1, 3, 6, 2, 10, 2}));
  EXPECT_FALSE(r.is_identity());
  EXPECT_FALSE(r.as_pixel_shuffle());
  ASSERT_TRUE(r.transpose({0, 1, 3, 5, 2, 4}));
  ASSERT_TRUE(r.reshape({1, 12, 6, 10}));
  EXPECT_EQ(r.shape(), (Shape{1, 12, 6, 10}));
  expect_shuffle(r, LayerKind::kPixelUnshuffle, 2, false);
}

// torch 1.13's F.pixel_unshuffle export at opset 17.
TEST(Rearrangement, UnsqueezeReshapeTransposeSqueezeIsAPixelUnshuffle) {
  Rearrangement r({1, 3, 16, 20});
  ASSERT_TRUE(r.unsqueeze({3}));
  ASSERT_TRUE(r.reshape({1, 3, 4, 4, 20}));
  ASSERT_TRUE(r.reshape({1, 3, 4, 4, 5, 4}));
  ASSERT_TRUE(r.transpose({0, 1, 3, 5, 2, 4}));
  ASSERT_TRUE(r.reshape({1, 48, 1, 1, 4, 5}));
  ASSERT_TRUE(r.squeeze({2, 3}));
  expect_shuffle(r, LayerKind::kPixelUnshuffle, 4, false);
}

TEST(Rearrangement, BlockMajorOrderIsTold) {
  Rearrangement unshuffle({1, 3, 12, 20});
  ASSERT_TRUE(unshuffle.reshape({1, 3, 6, 2, 10, 2}));
  ASSERT_TRUE(unshuffle.transpose({0, 3, 5, 1, 2, 4}));  // ONNX SpaceToDepth's order
  ASSERT_TRUE(unshuffle.reshape({1, 12, 6, 10}));
  expect_shuffle(unshuffle, LayerKind::kPixelUnshuffle, 2, true);

  Rearrangement shuffle({1, 48, 5, 7});
  ASSERT_TRUE(shuffle.reshape({1, 4, 4, 3, 5, 7}));  // ONNX DepthToSpace DCR
  ASSERT_TRUE(shuffle.transpose({0, 3, 4, 1, 5, 2}));
  ASSERT_TRUE(shuffle.reshape({1, 3, 20, 28}));
  expect_shuffle(shuffle, LayerKind::kPixelShuffle, 4, true);
}

TEST(Rearrangement, ReshapePermuteReshapeIsAPixelShuffle) {
  Rearrangement r({1, 12, 5, 7});
  ASSERT_TRUE(r.reshape({1, 3, 2, 2, 5, 7}));
  ASSERT_TRUE(r.transpose({0, 1, 4, 2, 5, 3}));
  ASSERT_TRUE(r.reshape({1, 3, 10, 14}));
  expect_shuffle(r, LayerKind::kPixelShuffle, 2, false);
}

TEST(Rearrangement, SwappedRowsAndColumnsAreNoShuffle) {
  Rearrangement r({1, 3, 12, 20});
  ASSERT_TRUE(r.reshape({1, 3, 6, 2, 10, 2}));
  ASSERT_TRUE(r.transpose({0, 1, 5, 3, 2, 4}));  // column offset before row offset
  ASSERT_TRUE(r.reshape({1, 12, 6, 10}));
  EXPECT_FALSE(r.as_pixel_shuffle());
  EXPECT_FALSE(r.is_identity());
}

TEST(Rearrangement, ReshapeThereAndBackIsIdentity) {
  Rearrangement r({1, 3, 12, 20});
  ASSERT_TRUE(r.reshape({3, 240}));
  ASSERT_TRUE(r.unsqueeze({0}));
  ASSERT_TRUE(r.reshape({1, 3, 12, 20}));
  EXPECT_TRUE(r.is_identity());
}

TEST(Rearrangement, ImpossibleOperationsAreRefused) {
  Rearrangement r({1, 3, 12, 20});
  EXPECT_FALSE(Rearrangement(r).reshape({1, 3, 12, 21}));  // other element count
  EXPECT_FALSE(Rearrangement(r).reshape({1, 3, 7, 0}));
  EXPECT_FALSE(Rearrangement(r).transpose({0, 1, 2}));     // wrong rank
  EXPECT_FALSE(Rearrangement(r).transpose({0, 1, 1, 2}));  // not a permutation
  EXPECT_FALSE(Rearrangement(r).squeeze({1}));             // size 3, not 1
  EXPECT_FALSE(Rearrangement(r).unsqueeze({9}));
  // 12 x 20 regrouped as 8 x 30 would need a piece of 12 split by 8.
  EXPECT_FALSE(Rearrangement(r).reshape({1, 3, 8, 30}));
}

}  // namespace
}  // namespace resr
