#include "image/image_loader.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "support/image_files.hpp"

namespace resr {
namespace {

using testing::fixture;
using testing::ScratchDir;

struct Expected {
  const char* file;
  const char* format;
  int width, height, colour_channels;
  bool has_alpha;
  int bit_depth;
};

TEST(ImageLoader, DescribesEveryKindOfInput) {
  const Expected cases[] = {
      {"rgb8.png", "png", 12, 8, 3, false, 8},        {"grey8.png", "png", 12, 8, 1, false, 8},
      {"grey16.png", "png", 12, 8, 1, false, 16},     {"rgb16.png", "png", 12, 8, 3, false, 16},
      {"rgba8.png", "png", 12, 8, 3, true, 8},        {"rgba16.png", "png", 12, 8, 3, true, 16},
      {"greya8.png", "png", 12, 8, 1, true, 8},       {"palette.png", "png", 12, 8, 3, false, 8},
      {"palette_trns.png", "png", 12, 8, 3, true, 8}, {"bilevel.png", "png", 12, 8, 1, false, 8},
      {"blocks.jpg", "jpeg", 16, 16, 3, false, 8},    {"cmyk.jpg", "jpeg", 16, 16, 3, false, 8},
      {"rgb8.webp", "webp", 12, 8, 3, false, 8},      {"rgb8.tif", "tiff", 12, 8, 3, false, 8},
  };
  for (const Expected& e : cases) {
    SCOPED_TRACE(e.file);
    Result<InputImage> image = open_image(fixture(e.file));
    ASSERT_TRUE(image.is_ok()) << image.status().message();
    const ImageInfo& info = image->info();
    EXPECT_EQ(info.format, e.format);
    EXPECT_EQ(info.width, e.width);
    EXPECT_EQ(info.height, e.height);
    EXPECT_EQ(info.colour_channels, e.colour_channels);
    EXPECT_EQ(info.has_alpha, e.has_alpha);
    EXPECT_EQ(info.bit_depth, e.bit_depth);
    EXPECT_EQ(image->pixels()->Bands, e.colour_channels + (e.has_alpha ? 1 : 0));
  }
}

// HEIF (HEVC) and AVIF (AV1) share libvips' heif loader; written here with
// libvips' own encoder, so no binary fixture is needed.
TEST(ImageLoader, OpensHeifAndAvif) {
  ScratchDir dir;
  VipsImagePtr source(vips_image_new_from_file(fixture("sample.png").c_str(), nullptr));
  ASSERT_TRUE(source);
  for (const auto& [name, compression] :
       {std::pair{"sample.heic", VIPS_FOREIGN_HEIF_COMPRESSION_HEVC},
        std::pair{"sample.avif", VIPS_FOREIGN_HEIF_COMPRESSION_AV1}}) {
    const std::string path = (dir / name).string();
    ASSERT_EQ(vips_heifsave(source.get(), path.c_str(), "compression", compression, "lossless",
                            TRUE, nullptr),
              0)
        << take_vips_error();
    auto image = open_image(path);
    ASSERT_TRUE(image.is_ok()) << image.status().message();
    EXPECT_EQ(image->info().format, "heif") << name;
    EXPECT_EQ(image->info().width, 128) << name;
    EXPECT_EQ(image->info().height, 96) << name;
    EXPECT_EQ(image->info().colour_channels, 3) << name;
    EXPECT_EQ(image->info().bit_depth, 8) << name;
  }
}

TEST(ImageLoader, GifGivesItsFirstFrame) {
  Result<InputImage> image = open_image(fixture("palette.gif"));
  ASSERT_TRUE(image.is_ok()) << image.status().message();
  EXPECT_EQ(image->info().format, "gif");
  EXPECT_EQ(image->info().width, 12);
  EXPECT_EQ(image->info().height, 8);
}

TEST(ImageLoader, AppliesEveryExifOrientation) {
  for (int orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE(orientation);
    Result<InputImage> image =
        open_image(fixture("orientation_" + std::to_string(orientation) + ".jpg"));
    ASSERT_TRUE(image.is_ok()) << image.status().message();
    EXPECT_EQ(image->info().orientation, orientation);
    // Stored 16 x 24 for 5-8; shown 24 x 16 always.
    EXPECT_EQ(image->info().width, 24);
    EXPECT_EQ(image->info().height, 16);
  }
}

TEST(ImageLoader, KeepsTheIccProfileBytes) {
  const std::string profile = testing::read_file_bytes(fixture("embedded.icc"));
  for (const char* file : {"icc.png", "icc.jpg"}) {
    Result<InputImage> image = open_image(fixture(file));
    ASSERT_TRUE(image.is_ok()) << image.status().message();
    EXPECT_EQ(std::string(image->info().icc_profile.begin(), image->info().icc_profile.end()),
              profile)
        << file;
  }
  Result<InputImage> plain = open_image(fixture("rgb8.png"));
  ASSERT_TRUE(plain.is_ok());
  EXPECT_TRUE(plain->info().icc_profile.empty());
}

TEST(ImageLoader, ConvertsCmykToSrgbAndTagsIt) {
  Result<InputImage> image = open_image(fixture("cmyk.jpg"));
  ASSERT_TRUE(image.is_ok()) << image.status().message();
  EXPECT_TRUE(image->info().from_cmyk);
  EXPECT_EQ(image->pixels()->Bands, 3);
  // libvips tags the converted pixels with its sRGB profile.
  EXPECT_GT(image->info().icc_profile.size(), 100u);
}

TEST(ImageLoader, MissingAndEmptyFiles) {
  ScratchDir dir;
  Result<InputImage> missing = open_image(dir / "nope.png");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.png"), std::string::npos);

  testing::write_file_bytes(dir / "empty.png", "");
  Result<InputImage> empty = open_image(dir / "empty.png");
  ASSERT_FALSE(empty.is_ok());
  EXPECT_EQ(empty.status().code(), ErrorCode::kInvalidImage);
  EXPECT_NE(empty.status().message().find("empty file (0 bytes)"), std::string::npos)
      << empty.status().message();
}

TEST(ImageLoader, RefusesDocumentsDisguisedAsImages) {
  ScratchDir dir;
  const std::pair<const char*, const char*> cases[] = {
      {"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
       "height=\"10\"><rect width=\"10\" height=\"10\"/></svg>\n",
       "SVG"},
      {"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>", "SVG"},
      {"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n"
       "%%EOF\n",
       "PDF"},
      {"8BPS\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03", "Photoshop"},
      {"just some text, not an image at all", "no format"},
  };
  for (const auto& [content, named] : cases) {
    testing::write_file_bytes(dir / "photo.png", content);
    Result<InputImage> image = open_image(dir / "photo.png");
    ASSERT_FALSE(image.is_ok()) << named;
    EXPECT_EQ(image.status().code(), ErrorCode::kInvalidImage);
    EXPECT_NE(image.status().message().find(named), std::string::npos) << image.status().message();
    EXPECT_NE(image.status().message().find("accepted formats are PNG"), std::string::npos);
  }
}

TEST(ImageLoader, BlocksUntrustedLoadersInsideLibvips) {
  // Even called directly by name, libvips refuses the loaders we blocked.
  ASSERT_TRUE(ensure_vips().is_ok());
  ScratchDir dir;
  testing::write_file_bytes(dir / "a.svg",
                            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>");
  VipsImage* out = nullptr;
  EXPECT_NE(vips_svgload((dir / "a.svg").c_str(), &out, nullptr), 0);
  EXPECT_EQ(out, nullptr);
  take_vips_error();
}

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

TEST(ImageLoader, RefusesAHeaderBombBeforeDecodingAnything) {
  ScratchDir dir;
  testing::write_file_bytes(dir / "bomb.png", testing::png_header_bomb(50000, 50000));
  const long resident_before = resident_kib();
  const auto start = std::chrono::steady_clock::now();
  Result<InputImage> image = open_image(dir / "bomb.png");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(image.is_ok());
  EXPECT_EQ(image.status().code(), ErrorCode::kInvalidImage);
  EXPECT_NE(image.status().message().find("50000 x 50000 = 2500000000 pixels (2500 MP) is over "
                                          "the input limit of 100000000 pixels (100 MP)"),
            std::string::npos)
      << image.status().message();
  // 7.5 GB of pixels would take far longer than this to decode (or allocate),
  // and would show in the resident memory.
  EXPECT_LT(seconds, 0.5);
  EXPECT_LT(resident_kib() - resident_before, 16 * 1024);
}

TEST(ImageLoader, TheInputLimitIsConfigurable) {
  ImageLimits tight;
  tight.max_input_pixels = 95;  // rgb8.png has 96
  Result<InputImage> refused = open_image(fixture("rgb8.png"), tight);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidImage);
  tight.max_input_pixels = 96;
  EXPECT_TRUE(open_image(fixture("rgb8.png"), tight).is_ok());
}

TEST(ImageLoader, TruncatedHeadersAreInvalidImages) {
  ScratchDir dir;
  for (const char* file : {"rgb8.png", "blocks.jpg"}) {
    const std::string bytes = testing::read_file_bytes(fixture(file));
    testing::write_file_bytes(dir / file, bytes.substr(0, 20));
    Result<InputImage> image = open_image(dir / file);
    ASSERT_FALSE(image.is_ok()) << file;
    EXPECT_EQ(image.status().code(), ErrorCode::kInvalidImage) << image.status().message();
    EXPECT_NE(image.status().message().find(file), std::string::npos);
  }
}

}  // namespace
}  // namespace resr
