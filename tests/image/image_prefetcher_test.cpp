// The folder run's prefetcher: a small next image arrives decoded with the
// same pixels the streaming path reads, a large one stays lazy, and a broken
// one fails at take() with the error streaming would give.
#include "image/image_prefetcher.hpp"

#include <gtest/gtest.h>

#include "support/image_files.hpp"

namespace resr {
namespace {

using testing::fixture;

std::string samples_of(const InputImage& image) {
  size_t size = 0;
  void* data = vips_image_write_to_memory(image.pixels(), &size);
  EXPECT_NE(data, nullptr);
  std::string bytes(static_cast<const char*>(data), size);
  g_free(data);
  return bytes;
}

bool is_in_memory(const InputImage& image) { return image.pixels()->dtype == VIPS_IMAGE_SETBUF; }

TEST(ImagePrefetcher, DecodesASmallImageAheadWithTheStreamedPixels) {
  ImagePrefetcher prefetcher({}, 1 << 20);
  prefetcher.start(fixture("orientation_6.jpg"));
  auto ahead = prefetcher.take(fixture("orientation_6.jpg"));
  ASSERT_TRUE(ahead.is_ok()) << ahead.status().message();
  EXPECT_TRUE(is_in_memory(*ahead));
  auto streamed = open_image(fixture("orientation_6.jpg"));
  ASSERT_TRUE(streamed.is_ok());
  EXPECT_FALSE(is_in_memory(*streamed));
  EXPECT_EQ(ahead->info().width, streamed->info().width);
  EXPECT_EQ(ahead->info().orientation, 6);
  EXPECT_EQ(samples_of(*ahead), samples_of(*streamed));
}

TEST(ImagePrefetcher, LeavesAnImageOverTheCapLazy) {
  // sample.png decodes to 128 x 96 x 3 = 36864 bytes.
  auto over = open_and_decode(fixture("sample.png"), {}, 36863);
  ASSERT_TRUE(over.is_ok());
  EXPECT_FALSE(is_in_memory(*over));
  auto under = open_and_decode(fixture("sample.png"), {}, 36864);
  ASSERT_TRUE(under.is_ok());
  EXPECT_TRUE(is_in_memory(*under));
}

TEST(ImagePrefetcher, ReportsATruncatedImageAtTake) {
  testing::ScratchDir dir;
  const std::string png = testing::read_file_bytes(fixture("sample.png"));
  testing::write_file_bytes(dir / "cut.png", png.substr(0, png.size() / 2));
  ImagePrefetcher prefetcher({}, 1 << 20);
  prefetcher.start(dir / "cut.png");
  auto r = prefetcher.take(dir / "cut.png");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidImage);
  EXPECT_NE(r.status().message().find("cut.png"), std::string::npos) << r.status().message();
}

TEST(ImagePrefetcher, OpensAnImageItWasNotAskedToPrefetch) {
  ImagePrefetcher prefetcher({}, 1 << 20);
  prefetcher.start(fixture("rgb8.png"));
  auto other = prefetcher.take(fixture("grey8.png"));
  ASSERT_TRUE(other.is_ok());
  EXPECT_EQ(other->info().colour_channels, 1);
  auto missing = prefetcher.take(fixture("absent.png"));
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace resr
