#include "tiling/tiled_upscaler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "support/tiny_models.hpp"
#include "tiling/bicubic_upscale.hpp"

namespace resr {
namespace {

using testing::compile_reference;
using testing::TinyModel;

// An image in memory that also checks the RowSource contract.
class MemoryRows final : public RowSource {
 public:
  MemoryRows(int width, int height, int channels) : w_(width), h_(height), c_(channels) {
    data_.resize(static_cast<size_t>(w_) * h_ * c_);
    for (int y = 0; y < h_; ++y)
      for (int c = 0; c < c_; ++c)
        for (int x = 0; x < w_; ++x) {
          // Smooth structure plus a hash-like texture, all in [0, 1].
          const float texture =
              std::fmod(std::sin(x * 12.9898f + y * 78.233f + c) * 43758.5f, 1.0f);
          at(y, c, x) = 0.5f + 0.3f * std::sin(0.2f * x + 0.1f * c) * std::cos(0.15f * y) +
                        0.2f * std::fabs(texture) - 0.1f;
        }
  }
  float& at(int y, int c, int x) { return data_[(static_cast<size_t>(y) * c_ + c) * w_ + x]; }

  Status read_rows(int y_begin, int y_end, float* dst) override {
    EXPECT_EQ(y_begin, next_row_) << "rows must be read in order, each once";
    EXPECT_LE(y_end, h_);
    next_row_ = y_end;
    std::memcpy(dst, &data_[static_cast<size_t>(y_begin) * c_ * w_],
                sizeof(float) * (y_end - y_begin) * c_ * w_);
    return Status::ok();
  }
  int rows_read() const { return next_row_; }

 private:
  int w_, h_, c_;
  int next_row_ = 0;
  std::vector<float> data_;
};

struct UpscaleRun {
  std::vector<uint8_t> bytes;  // all output rows
  int progress_calls = 0;
  int last_total = 0;
};

UpscaleRun upscale(Session& session, MemoryRows& rows, TiledUpscaleSpec spec) {
  UpscaleRun run;
  TileCallbacks callbacks;
  callbacks.progress = [&run](int done, int total) {
    EXPECT_EQ(done, run.progress_calls + 1);
    ++run.progress_calls;
    run.last_total = total;
  };
  TiledUpscaler upscaler(session, spec, callbacks);
  int next_y = 0;
  while (!upscaler.finished()) {
    auto strip = upscaler.next_strip(rows);
    EXPECT_TRUE(strip.is_ok()) << strip.status().message();
    if (!strip.is_ok()) break;
    EXPECT_EQ(strip->y_begin, next_y);
    next_y = strip->y_end;
    run.bytes.insert(run.bytes.end(), strip->bytes.begin(), strip->bytes.end());
  }
  EXPECT_EQ(next_y, spec.height * spec.scale);
  EXPECT_EQ(rows.rows_read(), spec.height);
  return run;
}

TiledUpscaleSpec spec_for(int w, int h, int scale, int tile, int pad, int blend) {
  TiledUpscaleSpec s;
  s.width = w;
  s.height = h;
  s.scale = scale;
  s.tile = tile;
  s.pad = pad;
  s.blend = blend;
  return s;
}

TEST(TiledUpscaler, TilesWithEnoughPadGiveTheWholeImageResultExactly) {
  // A 3x3 conv sees 1 pixel around: pad >= blend + 1 leaves nothing to differ.
  TinyModel m = compile_reference(testing::conv_shuffle_graph(2));
  for (int bits : {8, 16}) {
    MemoryRows whole_rows(37, 29, 3);
    TiledUpscaleSpec whole = spec_for(37, 29, 2, 0, 0, 0);
    whole.bit_depth = bits;
    const UpscaleRun reference = upscale(*m.session, whole_rows, whole);
    EXPECT_EQ(reference.last_total, 1);
    for (auto [tile, pad, blend] : {std::tuple{8, 1, 0}, {8, 2, 1}, {10, 5, 4}, {5, 3, 2}}) {
      MemoryRows rows(37, 29, 3);
      TiledUpscaleSpec spec = spec_for(37, 29, 2, tile, pad, blend);
      spec.bit_depth = bits;
      const UpscaleRun tiled = upscale(*m.session, rows, spec);
      EXPECT_GT(tiled.last_total, 9);
      EXPECT_EQ(tiled.progress_calls, tiled.last_total);
      EXPECT_EQ(tiled.bytes, reference.bytes)
          << "tile " << tile << " pad " << pad << " blend " << blend;
    }
  }
}

TEST(TiledUpscaler, TooLittlePadShowsUpAsDifferences) {
  // The same comparison fails when tiles lack context: the test above can fail.
  TinyModel m = compile_reference(testing::conv_shuffle_graph(2));
  MemoryRows a(37, 29, 3), b(37, 29, 3);
  const UpscaleRun whole = upscale(*m.session, a, spec_for(37, 29, 2, 0, 0, 0));
  const UpscaleRun tiled = upscale(*m.session, b, spec_for(37, 29, 2, 8, 0, 0));
  EXPECT_NE(tiled.bytes, whole.bytes);
}

TEST(TiledUpscaler, NearestModelEnlargesPixelsExactly) {
  TinyModel m = compile_reference(testing::nearest_graph(4));
  MemoryRows rows(13, 11, 3);
  MemoryRows source(13, 11, 3);
  const UpscaleRun run = upscale(*m.session, rows, spec_for(13, 11, 4, 4, 2, 1));
  for (int y = 0; y < 44; ++y)
    for (int x = 0; x < 52; ++x)
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(run.bytes[(static_cast<size_t>(y) * 52 + x) * 3 + c],
                  static_cast<uint8_t>(source.at(y / 4, c, x / 4) * 255.0f + 0.5f));
}

TEST(TiledUpscaler, GreyRunsAsRgbAndReturnsLuma) {
  TinyModel m = compile_reference(testing::conv_shuffle_graph(2));
  MemoryRows grey(20, 16, 1);
  TiledUpscaleSpec spec = spec_for(20, 16, 2, 8, 3, 2);
  spec.colour_channels = 1;
  const UpscaleRun run = upscale(*m.session, grey, spec);
  ASSERT_EQ(run.bytes.size(), 40u * 32);
  // Oracle: run the whole grey image as RGB and take 0.299 R + 0.587 G + 0.114 B.
  MemoryRows again(20, 16, 1);
  Tensor in = Tensor::chw(3, 16, 20);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 20; ++x)
      for (int c = 0; c < 3; ++c) in.at(c, y, x) = again.at(y, 0, x);
  auto out = m.session->run(in);
  ASSERT_TRUE(out.is_ok());
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 40; ++x) {
      const float l =
          0.299f * out->at(0, y, x) + 0.587f * out->at(1, y, x) + 0.114f * out->at(2, y, x);
      ASSERT_NEAR(run.bytes[y * 40 + x], std::clamp(l, 0.0f, 1.0f) * 255.0f, 0.5f + 1e-3f);
    }
}

TEST(TiledUpscaler, AlphaByModelOrBicubicAndConstantAlphaStaysExact) {
  TinyModel m = compile_reference(testing::nearest_graph(2));
  // RGBA with a varying alpha: nearest model -> alpha is enlarged exactly.
  MemoryRows rgba(12, 10, 4);
  TiledUpscaleSpec spec = spec_for(12, 10, 2, 5, 3, 1);
  spec.has_alpha = true;
  const UpscaleRun by_model = upscale(*m.session, rgba, spec);
  ASSERT_EQ(by_model.bytes.size(), 24u * 20 * 4);
  MemoryRows source(12, 10, 4);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 24; ++x)
      ASSERT_EQ(by_model.bytes[(y * 24 + x) * 4 + 3],
                static_cast<uint8_t>(source.at(y / 2, 3, x / 2) * 255.0f + 0.5f));

  // Bicubic: equal to upscale_bicubic of the whole alpha plane (pad >= blend + 2).
  MemoryRows rgba2(12, 10, 4);
  spec.alpha = AlphaMode::kBicubic;
  const UpscaleRun by_cubic = upscale(*m.session, rgba2, spec);
  Tensor alpha = Tensor::chw(1, 10, 12);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 12; ++x) alpha.at(0, y, x) = source.at(y, 3, x);
  const Tensor up = upscale_bicubic(alpha, 2);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 24; ++x) {
      const float v = std::clamp(up.at(0, y, x), 0.0f, 1.0f);
      ASSERT_EQ(by_cubic.bytes[(y * 24 + x) * 4 + 3], static_cast<uint8_t>(v * 255.0f + 0.5f));
    }

  // Fully opaque alpha through a model that would change it stays exactly 255.
  TinyModel conv = compile_reference(testing::conv_shuffle_graph(2));
  MemoryRows opaque(12, 10, 4);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 12; ++x) opaque.at(y, 3, x) = 1.0f;
  spec.alpha = AlphaMode::kModel;
  const UpscaleRun flat = upscale(*conv.session, opaque, spec);
  for (size_t i = 3; i < flat.bytes.size(); i += 4) ASSERT_EQ(flat.bytes[i], 255);
}

TEST(TiledUpscaler, PadsTileInputsToTheModelsMultiple) {
  // Pixel unshuffle needs even sides; odd tiles and an odd image still work, and
  // with context to spare the tiles agree with the whole image.
  TinyModel m = compile_reference(testing::unshuffle_graph());
  MemoryRows a(23, 17, 3), b(23, 17, 3);
  TiledUpscaleSpec whole = spec_for(23, 17, 2, 0, 0, 0);
  whole.input_multiple = 2;
  TiledUpscaleSpec tiled = spec_for(23, 17, 2, 7, 6, 1);
  tiled.input_multiple = 2;
  const UpscaleRun w = upscale(*m.session, a, whole);
  const UpscaleRun t = upscale(*m.session, b, tiled);
  ASSERT_EQ(w.bytes.size(), 46u * 34 * 3);
  EXPECT_EQ(t.bytes, w.bytes);
}

TEST(TiledUpscaler, ReportsAModelWithTheWrongScale) {
  TinyModel m = compile_reference(testing::nearest_graph(2));
  MemoryRows rows(8, 8, 3);
  TiledUpscaler upscaler(*m.session, spec_for(8, 8, 4, 0, 0, 0));
  auto strip = upscaler.next_strip(rows);
  ASSERT_FALSE(strip.is_ok());
  EXPECT_NE(strip.status().message().find("expected [3, 32, 32]"), std::string::npos)
      << strip.status().message();
}

TEST(TiledUpscaler, StopsWhenCancelled) {
  TinyModel m = compile_reference(testing::nearest_graph(2));
  MemoryRows rows(32, 32, 3);
  std::atomic<bool> cancel{false};
  int tiles = 0;
  TileCallbacks callbacks;
  callbacks.cancel = &cancel;
  callbacks.progress = [&](int done, int) {
    tiles = done;
    if (done == 3) cancel = true;
  };
  TiledUpscaler upscaler(*m.session, spec_for(32, 32, 2, 8, 2, 1), callbacks);
  Status status;
  while (!upscaler.finished()) {
    auto strip = upscaler.next_strip(rows);
    if (!strip.is_ok()) {
      status = strip.status();
      break;
    }
  }
  EXPECT_EQ(status.code(), ErrorCode::kCancelled);
  EXPECT_EQ(tiles, 3);
}

}  // namespace
}  // namespace resr
