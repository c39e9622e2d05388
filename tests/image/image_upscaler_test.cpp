#include "image/image_upscaler.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/image_files.hpp"
#include "support/tiny_models.hpp"
#include "tiling/tile_plan.hpp"

namespace resr {
namespace {

using testing::fixture;
using testing::Pixels;
using testing::read_pixels;
using testing::ScratchDir;

// The fixtures' 8-bit pattern (tests/data/images/make_fixtures.py).
int pattern(int x, int y, int c) { return (x * 37 + y * 11 + c * 80) % 256; }

Result<UpscaleReport> upscale_file(Session& session, int scale, const std::filesystem::path& in,
                                   const std::filesystem::path& out, UpscaleOptions options = {},
                                   OutputOptions format = {}) {
  RESR_ASSIGN_OR_RETURN(InputImage image, open_image(in, options.limits));
  options.model_scale = scale;
  return upscale_image(session, std::move(image), out, format, options);
}

class ImageUpscalerTest : public ::testing::Test {
 protected:
  testing::TinyModel nearest2 = testing::compile_reference(testing::nearest_graph(2));
  ScratchDir dir;
};

TEST_F(ImageUpscalerTest, Rgb8IsEnlargedPixelForPixel) {
  UpscaleOptions options;
  options.tile = 5;
  auto r = upscale_file(*nearest2.session, 2, fixture("rgb8.png"), dir / "out.png", options);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->width, 24);
  EXPECT_EQ(r->height, 16);
  EXPECT_EQ(r->tiles, 6);
  const Pixels p = read_pixels(dir / "out.png");
  ASSERT_EQ(p.bands, 3);
  ASSERT_EQ(p.bit_depth, 8);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 24; ++x)
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(p.at(x, y, c), pattern(x / 2, y / 2, c)) << x << "," << y;
  // Only the result is left in the folder: no temporary file.
  EXPECT_EQ(dir.names(), std::vector<std::string>{"out.png"});
}

TEST_F(ImageUpscalerTest, DeferredWriteWritesTheSameFileOnlyWhenAsked) {
  UpscaleOptions options;
  options.model_scale = 2;
  options.tile = 32;
  ASSERT_TRUE(
      upscale_file(*nearest2.session, 2, fixture("sample.png"), dir / "now.png", options).is_ok());
  auto image = open_image(fixture("sample.png"));
  ASSERT_TRUE(image.is_ok());
  EXPECT_EQ(upscaled_bytes(image->info(), options), 256 * 192 * 3);
  auto deferred = upscale_image_deferred(*nearest2.session, std::move(image).value(),
                                         dir / "later.png", {}, options);
  ASSERT_TRUE(deferred.is_ok()) << deferred.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir / "later.png"));
  auto report = deferred->write();
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->width, 256);
  EXPECT_EQ(report->tiles, 12);
  EXPECT_EQ(testing::read_file_bytes(dir / "later.png"), testing::read_file_bytes(dir / "now.png"));
  EXPECT_EQ(dir.names().size(), 2u);  // no temporary left
}

TEST_F(ImageUpscalerTest, SixteenBitStaysSixteenBitWithEveryValueKept) {
  for (const char* file : {"grey16.png", "rgb16.png"}) {
    SCOPED_TRACE(file);
    auto r = upscale_file(*nearest2.session, 2, fixture(file), dir / "out.png");
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    EXPECT_EQ(r->bit_depth, 16);
    const Pixels p = read_pixels(dir / "out.png");
    ASSERT_EQ(p.bit_depth, 16);
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 24; ++x)
        for (int c = 0; c < p.bands; ++c) {
          const int expected = pattern(x / 2, y / 2, p.bands == 1 ? 0 : c) * 256 + x / 2 + y / 2;
          ASSERT_EQ(p.at(x, y, c), expected);
        }
  }
  // 16-bit RGBA: colour and alpha both keep every value.
  auto r = upscale_file(*nearest2.session, 2, fixture("rgba16.png"), dir / "rgba.png");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const Pixels p = read_pixels(dir / "rgba.png");
  ASSERT_EQ(p.bit_depth, 16);
  ASSERT_EQ(p.bands, 4);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 24; ++x) {
      for (int c = 0; c < 3; ++c) ASSERT_EQ(p.at(x, y, c), pattern(x / 2, y / 2, c) * 257);
      ASSERT_EQ(p.at(x, y, 3), ((x / 2) * 5000 + (y / 2) * 300) % 65536);
    }
}

TEST_F(ImageUpscalerTest, SixteenBitIntoJpegIsScaledNotTruncated) {
  OutputOptions jpeg;
  jpeg.format = OutputFormat::kJpeg;
  jpeg.quality = 100;
  auto r = upscale_file(*nearest2.session, 2, fixture("grey16.png"), dir / "out.jpg", {}, jpeg);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->bit_depth, 8);
  const Pixels p = read_pixels(dir / "out.jpg");
  ASSERT_EQ(p.bands, 1);
  int worst = 0;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 24; ++x) {
      const double v16 = pattern(x / 2, y / 2, 0) * 256 + x / 2 + y / 2;
      worst = std::max(worst, std::abs(p.at(x, y, 0) - static_cast<int>(std::lround(v16 / 257))));
    }
  EXPECT_LE(worst, 2);  // JPEG at quality 100
}

TEST_F(ImageUpscalerTest, GreyStaysGreyAndAlphaIsKept) {
  struct Case {
    const char* file;
    int bands;
  };
  for (const Case c : {Case{"grey8.png", 1}, Case{"greya8.png", 2}, Case{"rgba8.png", 4}}) {
    SCOPED_TRACE(c.file);
    const Pixels in = read_pixels(fixture(c.file));
    for (AlphaMode mode : {AlphaMode::kModel, AlphaMode::kBicubic}) {
      UpscaleOptions options;
      options.alpha = mode;
      options.tile = 4;
      auto r = upscale_file(*nearest2.session, 2, fixture(c.file), dir / "out.png", options);
      ASSERT_TRUE(r.is_ok()) << r.status().message();
      const Pixels p = read_pixels(dir / "out.png");
      ASSERT_EQ(p.bands, c.bands);
      for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 24; ++x)
          for (int b = 0; b < c.bands; ++b) {
            const bool is_alpha = b == c.bands - 1 && c.bands % 2 == 0;
            if (is_alpha && mode == AlphaMode::kBicubic)
              continue;  // checked in tiled_upscaler_test
            ASSERT_EQ(p.at(x, y, b), in.at(x / 2, y / 2, b)) << x << "," << y << "," << b;
          }
    }
  }
}

TEST_F(ImageUpscalerTest, PaletteAndOneBitImagesExpand) {
  // Palette quadrants: red, green / blue, yellow; index 3 transparent in _trns.
  const int colours[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {250, 250, 10}};
  for (const char* file : {"palette.png", "palette_trns.png"}) {
    SCOPED_TRACE(file);
    auto r = upscale_file(*nearest2.session, 2, fixture(file), dir / "out.png");
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    const Pixels p = read_pixels(dir / "out.png");
    const bool trns = std::string(file) == "palette_trns.png";
    ASSERT_EQ(p.bands, trns ? 4 : 3);
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 24; ++x) {
        const int index = (x >= 12) + 2 * (y >= 8);
        for (int c = 0; c < 3; ++c) ASSERT_EQ(p.at(x, y, c), colours[index][c]);
        if (trns) {
          ASSERT_EQ(p.at(x, y, 3), index == 3 ? 0 : 255);
        }
      }
  }
  auto r = upscale_file(*nearest2.session, 2, fixture("bilevel.png"), dir / "bits.png");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const Pixels p = read_pixels(dir / "bits.png");
  ASSERT_EQ(p.bands, 1);
  ASSERT_EQ(p.bit_depth, 8);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 24; ++x)
      ASSERT_EQ(p.at(x, y, 0), ((x / 4) + (y / 4)) % 2 ? 255 : 0) << x << "," << y;
}

TEST_F(ImageUpscalerTest, CmykJpegBecomesSrgbWithTheRightHues) {
  OutputOptions jpeg;
  jpeg.format = OutputFormat::kJpeg;
  auto r = upscale_file(*nearest2.session, 2, fixture("cmyk.jpg"), dir / "out.jpg", {}, jpeg);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const Pixels p = read_pixels(dir / "out.jpg");
  ASSERT_EQ(p.bands, 3);
  EXPECT_FALSE(p.icc.empty());
  // Blocks were red, green, blue, yellow before the naive RGB -> CMYK of the fixture.
  auto px = [&](int x, int y) {
    return std::array<int, 3>{p.at(x, y, 0), p.at(x, y, 1), p.at(x, y, 2)};
  };
  const auto red = px(8, 8), green = px(24, 8), blue = px(8, 24), yellow = px(24, 24);
  EXPECT_GT(red[0], red[1] + 60);
  EXPECT_GT(red[0], red[2] + 60);
  EXPECT_GT(green[1], green[0] + 60);
  EXPECT_GT(blue[2], blue[0] + 40);  // (225, 225, 55, 0) is a violet blue in print
  EXPECT_GT(blue[2], blue[1] + 40);
  EXPECT_GT(yellow[0], yellow[2] + 60);
  EXPECT_GT(yellow[1], yellow[2] + 60);
}

TEST_F(ImageUpscalerTest, EveryExifOrientationIsAppliedAndNotAppliedTwice) {
  const Pixels canonical = read_pixels(fixture("orientation_canonical.png"));
  for (int orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE(orientation);
    const auto in = fixture("orientation_" + std::to_string(orientation) + ".jpg");
    OutputOptions png;
    auto r = upscale_file(*nearest2.session, 2, in, dir / "out.png", {}, png);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    const Pixels p = read_pixels(dir / "out.png");
    ASSERT_EQ(p.width, 48);
    ASSERT_EQ(p.height, 32);
    EXPECT_EQ(p.orientation, 1);
    int worst = 0;
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 48; ++x)
        for (int c = 0; c < 3; ++c)
          worst = std::max(worst, std::abs(p.at(x, y, c) - canonical.at(x / 2, y / 2, c)));
    EXPECT_LE(worst, 12);  // JPEG at quality 98; a wrong orientation is off by ~200
  }
}

TEST_F(ImageUpscalerTest, ExifIsKeptWithoutTheAppliedOrientation) {
  for (OutputFormat f : {OutputFormat::kJpeg, OutputFormat::kPng, OutputFormat::kWebp}) {
    OutputOptions out;
    out.format = f;
    const auto path = dir / (std::string("out") + output_format_extension(f));
    auto r = upscale_file(*nearest2.session, 2, fixture("orientation_6.jpg"), path, {}, out);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    const Pixels p = read_pixels(path);
    EXPECT_EQ(p.width, 48) << path;
    // A viewer must not rotate the already upright pixels again.
    EXPECT_EQ(p.orientation, 1) << path;
    EXPECT_EQ(p.exif_artist.rfind("resr fixture", 0), 0u) << path << ": " << p.exif_artist;
  }
}

TEST_F(ImageUpscalerTest, IccProfileIsWrittenByteForByte) {
  const std::string profile = testing::read_file_bytes(fixture("embedded.icc"));
  const std::pair<const char*, OutputFormat> cases[] = {
      {"icc.png", OutputFormat::kPng},
      {"icc.jpg", OutputFormat::kJpeg},
      {"icc.png", OutputFormat::kWebp},
      {"icc.png", OutputFormat::kTiff},
  };
  for (const auto& [file, format] : cases) {
    OutputOptions out;
    out.format = format;
    const auto path = dir / (std::string("out") + output_format_extension(format));
    auto r = upscale_file(*nearest2.session, 2, fixture(file), path, {}, out);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    const Pixels p = read_pixels(path);
    EXPECT_EQ(std::string(p.icc.begin(), p.icc.end()), profile) << path;
  }
  auto r = upscale_file(*nearest2.session, 2, fixture("rgb8.png"), dir / "plain.png");
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(read_pixels(dir / "plain.png").icc.empty());
}

TEST_F(ImageUpscalerTest, WritesEveryOutputFormat) {
  for (OutputFormat f :
       {OutputFormat::kPng, OutputFormat::kJpeg, OutputFormat::kWebp, OutputFormat::kTiff}) {
    OutputOptions out;
    out.format = f;
    const auto path = dir / (std::string("f") + output_format_extension(f));
    auto r = upscale_file(*nearest2.session, 2, fixture("blocks.jpg"), path, {}, out);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    const Pixels p = read_pixels(path);
    EXPECT_EQ(p.width, 32);
    EXPECT_EQ(p.height, 32);
    EXPECT_NEAR(p.at(4, 4, 0), 200, 6) << path;
    EXPECT_NEAR(p.at(4, 4, 1), 30, 6) << path;
  }
}

double mean_band(const Pixels& p, int band) {
  double sum = 0;
  for (int y = 0; y < p.height; ++y)
    for (int x = 0; x < p.width; ++x) sum += p.at(x, y, band);
  return sum / (static_cast<double>(p.width) * p.height);
}

TEST_F(ImageUpscalerTest, OutscaleResamplesToTheRequestedSize) {
  testing::TinyModel nearest4 = testing::compile_reference(testing::nearest_graph(4));
  const double alpha_in = mean_band(read_pixels(fixture("rgba8.png")), 3);
  for (double outscale : {1.5, 2.0, 3.5, 8.0, 0.25}) {
    SCOPED_TRACE(outscale);
    UpscaleOptions options;
    options.outscale = outscale;
    auto r = upscale_file(*nearest4.session, 4, fixture("blocks.jpg"), dir / "out.png", options);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    const Pixels p = read_pixels(dir / "out.png");
    const int side = static_cast<int>(std::lround(16 * outscale));
    EXPECT_EQ(p.width, side);
    EXPECT_EQ(p.height, side);
    EXPECT_EQ(r->width, side);
    if (outscale >= 1) {
      // The middle of the red block (8 x 8 input pixels) keeps its colour.
      EXPECT_NEAR(p.at(side / 4, side / 4, 0), 200, 4);
      EXPECT_NEAR(p.at(side / 4, side / 4, 1), 30, 4);
    }

    auto a = upscale_file(*nearest4.session, 4, fixture("rgba8.png"), dir / "alpha.png", options);
    ASSERT_TRUE(a.is_ok()) << a.status().message();
    const Pixels q = read_pixels(dir / "alpha.png");
    EXPECT_EQ(q.width, static_cast<int>(std::lround(12 * outscale)));
    EXPECT_EQ(q.height, static_cast<int>(std::lround(8 * outscale)));
    ASSERT_EQ(q.bands, 4);
    EXPECT_NEAR(mean_band(q, 3), alpha_in, alpha_in * 0.03);
  }
}

TEST_F(ImageUpscalerTest, OutscaleStreamsAcrossManyStrips) {
  // Many strips, libvips threads and a resampler between them: every row must
  // still be there when asked for, downscaling and upscaling.
  ASSERT_TRUE(ensure_vips().is_ok());
  VipsImage* noise = nullptr;
  ASSERT_EQ(vips_gaussnoise(&noise, 300, 200, "mean", 128.0, "sigma", 40.0, nullptr), 0);
  VipsImagePtr owned(noise);
  ASSERT_EQ(vips_image_write_to_file(noise, (dir / "in.png").c_str(), nullptr), 0);
  testing::TinyModel nearest4 = testing::compile_reference(testing::nearest_graph(4));
  for (double outscale : {1.5, 3.0, 7.0}) {
    for (const char* name : {"in.png", "rgba"}) {
      SCOPED_TRACE(std::string(name) + " x" + std::to_string(outscale));
      const bool alpha = std::string(name) == "rgba";
      UpscaleOptions options;
      options.outscale = outscale;
      options.tile = 16;
      auto r = upscale_file(*nearest4.session, 4, alpha ? fixture("rgba16.png") : dir / "in.png",
                            dir / "out.png", options);
      ASSERT_TRUE(r.is_ok()) << r.status().message();
      const Pixels p = read_pixels(dir / "out.png");
      EXPECT_EQ(p.width, static_cast<int>(std::lround((alpha ? 12 : 300) * outscale)));
      EXPECT_EQ(p.height, static_cast<int>(std::lround((alpha ? 8 : 200) * outscale)));
    }
  }
}

TEST_F(ImageUpscalerTest, TiledEqualsWholeThroughFilesForASmallReceptiveField) {
  testing::TinyModel conv = testing::compile_reference(testing::conv_shuffle_graph(2));
  UpscaleOptions whole;
  auto a = upscale_file(*conv.session, 2, fixture("rgb16.png"), dir / "whole.png", whole);
  UpscaleOptions tiled;
  tiled.tile = 3;
  tiled.tile_pad = 2;
  tiled.tile_blend = 1;
  auto b = upscale_file(*conv.session, 2, fixture("rgb16.png"), dir / "tiled.png", tiled);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(b->tiles, 12);
  EXPECT_EQ(read_pixels(dir / "whole.png").bytes, read_pixels(dir / "tiled.png").bytes);
}

TEST_F(ImageUpscalerTest, TruncatedPixelDataIsAnErrorAndLeavesNoFile) {
  // Header intact, pixel data cut: found while decoding, never grey-filled.
  ASSERT_TRUE(ensure_vips().is_ok());
  VipsImage* noise = nullptr;
  ASSERT_EQ(vips_gaussnoise(&noise, 64, 64, nullptr), 0);
  VipsImagePtr owned(noise);
  VipsImage* bytes = nullptr;
  ASSERT_EQ(vips_cast(noise, &bytes, VIPS_FORMAT_UCHAR, nullptr), 0);
  VipsImagePtr u8(bytes);
  ASSERT_EQ(vips_image_write_to_file(u8.get(), (dir / "full.png").c_str(), nullptr), 0);
  ASSERT_EQ(vips_image_write_to_file(u8.get(), (dir / "full.jpg").c_str(), nullptr), 0);
  for (const char* name : {"full.png", "full.jpg"}) {
    SCOPED_TRACE(name);
    const std::string full = testing::read_file_bytes(dir / name);
    testing::write_file_bytes(dir / "cut", full.substr(0, full.size() * 2 / 3));
    Result<InputImage> image = open_image(dir / "cut");
    ASSERT_TRUE(image.is_ok()) << image.status().message();  // the header is fine
    UpscaleOptions options;
    options.model_scale = 2;
    options.tile = 16;
    auto r =
        upscale_image(*nearest2.session, std::move(image).value(), dir / "out.png", {}, options);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidImage) << r.status().message();
    EXPECT_NE(r.status().message().find("cut: cannot decode rows"), std::string::npos)
        << r.status().message();
    EXPECT_FALSE(std::filesystem::exists(dir / "out.png"));
  }
  for (const std::string& n : dir.names()) EXPECT_EQ(n.find("partial"), std::string::npos) << n;
}

TEST_F(ImageUpscalerTest, RefusesOutputsOverTheCapBeforeComputing) {
  UpscaleOptions options;
  options.limits.max_output_pixels = 24 * 16 - 1;
  int tiles = 0;
  options.callbacks.progress = [&](int done, int) { tiles = done; };
  auto r = upscale_file(*nearest2.session, 2, fixture("rgb8.png"), dir / "out.png", options);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("24 x 16 = 384 pixels"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(tiles, 0);
  EXPECT_TRUE(dir.names().empty());
}

TEST_F(ImageUpscalerTest, AlphaCannotGoIntoJpeg) {
  OutputOptions jpeg;
  jpeg.format = OutputFormat::kJpeg;
  auto r = upscale_file(*nearest2.session, 2, fixture("rgba8.png"), dir / "out.jpg", {}, jpeg);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("write PNG instead"), std::string::npos);
}

TEST_F(ImageUpscalerTest, UnwritableOutputIsAnIoError) {
  auto r = upscale_file(*nearest2.session, 2, fixture("rgb8.png"), dir / "missing" / "out.png");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kIoError);
  EXPECT_NE(r.status().message().find("missing/out.png"), std::string::npos)
      << r.status().message();
}

TEST_F(ImageUpscalerTest, ReportsProgressAndStopsWhenCancelled) {
  std::atomic<bool> cancel{false};
  std::vector<std::pair<int, int>> calls;
  UpscaleOptions options;
  options.tile = 4;
  options.callbacks.cancel = &cancel;
  options.callbacks.progress = [&](int done, int total) {
    calls.emplace_back(done, total);
    if (done == 2) cancel = true;
  };
  auto r = upscale_file(*nearest2.session, 2, fixture("rgb8.png"), dir / "out.png", options);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(calls, (std::vector<std::pair<int, int>>{{1, 6}, {2, 6}}));
  EXPECT_TRUE(dir.names().empty());
}

TEST(OutputFormat, NamesExtensionsAndDefaults) {
  EXPECT_EQ(output_format_from_name(".JPG"), OutputFormat::kJpeg);
  EXPECT_EQ(output_format_from_name("jpeg"), OutputFormat::kJpeg);
  EXPECT_EQ(output_format_from_name("tif"), OutputFormat::kTiff);
  EXPECT_EQ(output_format_from_name(".webp"), OutputFormat::kWebp);
  EXPECT_EQ(output_format_from_name("gif"), std::nullopt);
  EXPECT_EQ(output_format_from_name(""), std::nullopt);
  ImageInfo info;
  info.format = "jpeg";
  EXPECT_EQ(default_output_format(info), OutputFormat::kJpeg);
  info.format = "gif";
  EXPECT_EQ(default_output_format(info), OutputFormat::kPng);
  info.format = "webp";
  info.has_alpha = true;
  EXPECT_EQ(default_output_format(info), OutputFormat::kPng);
}

TEST(AutoTileSize, PicksTheLargestTileThatFitsTheBudget) {
  const testing::TinyModel model = testing::compile_reference(testing::conv_shuffle_graph(4));
  const auto pipeline = [](int tile) {
    return pipeline_buffer_bytes(3000, 2000, 3, 8, 4, tile, 24, 8);
  };
  // The model and pipeline memory of a tile as the plan really cuts it.
  const auto bytes = [&](int tile) {
    const TilePlan plan = plan_tiles(3000, 2000, tile, 24, 0);
    return model.compiled->weight_bytes() +
           model.compiled->activation_bytes(plan.rows.inputs[0].size(),
                                            plan.columns.inputs[0].size()) +
           pipeline(tile);
  };
  const MemoryBudget budget{2'000'000'000, model.compiled.get(), 1};
  const int tile = auto_tile_size(budget, 3000, 2000, 24, pipeline);
  ASSERT_GT(tile, 32);
  EXPECT_EQ(tile % 16, 0);
  EXPECT_LE(bytes(tile), budget.bytes);
  // The rest of the budget is the process's own share: a tile 16 larger would overrun it.
  EXPECT_GT(bytes(tile + 16), budget.bytes - (int64_t{256} << 20));
  EXPECT_GT(auto_tile_size({4'000'000'000, model.compiled.get(), 1}, 3000, 2000, 24, pipeline),
            tile);
  // Enough for everything: the whole image in one run; far too little: the floor.
  EXPECT_EQ(auto_tile_size({int64_t{1} << 50, model.compiled.get(), 1}, 3000, 2000, 24, pipeline),
            0);
  EXPECT_EQ(auto_tile_size({1, model.compiled.get(), 1}, 3000, 2000, 24, pipeline), 32);
}

TEST(AutoTileSize, BuffersGrowWithWidthAndTileButNotHeight) {
  const int64_t base = pipeline_buffer_bytes(1000, 1000, 3, 8, 4, 128, 24, 8);
  EXPECT_EQ(pipeline_buffer_bytes(1000, 50000, 3, 8, 4, 128, 24, 8), base);
  EXPECT_GT(pipeline_buffer_bytes(2000, 1000, 3, 8, 4, 128, 24, 8), base * 3 / 2);
  EXPECT_GT(pipeline_buffer_bytes(1000, 1000, 3, 8, 4, 256, 24, 8), base);
  EXPECT_GT(pipeline_buffer_bytes(1000, 1000, 3, 16, 4, 128, 24, 8), base);
}

}  // namespace
}  // namespace resr
