// Seams with the real model: realesrgan-x4plus on a real photo (a cat's fur, the
// hardest content measured in docs/image-pipeline.md), tiles of 64 with the
// default pad and cross-fade, must stay >= 45 dB PSNR from the whole-image run;
// the official pad 10 with a hard paste must not (so this test can fail).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "backend/backend.hpp"
#include "image/image_loader.hpp"
#include "model/model.hpp"
#include "model/zoo/model_directory.hpp"
#include "tiling/tiled_upscaler.hpp"

namespace resr {
namespace {

// The photo's rows, decoded once by the project's loader, served from memory
// (any rows, any number of times).
class PhotoRows final : public RowSource {
 public:
  explicit PhotoRows(const std::string& path) {
    Result<InputImage> image = open_image(path);
    EXPECT_TRUE(image.is_ok()) << image.status().message();
    if (!image.is_ok()) return;
    width = image->info().width;
    height = image->info().height;
    size_t size = 0;
    auto* px = static_cast<uint8_t*>(vips_image_write_to_memory(image->pixels(), &size));
    rows_.resize(static_cast<size_t>(width) * height * 3);
    for (int y = 0; y < height; ++y)
      for (int c = 0; c < 3; ++c)
        for (int x = 0; x < width; ++x)
          rows_[(static_cast<size_t>(y) * 3 + c) * width + x] =
              px[(static_cast<size_t>(y) * width + x) * 3 + c] / 255.0f;
    g_free(px);
  }
  Status read_rows(int y_begin, int y_end, float* dst) override {
    std::memcpy(dst, &rows_[static_cast<size_t>(y_begin) * 3 * width],
                sizeof(float) * (y_end - y_begin) * 3 * width);
    return Status::ok();
  }
  int width = 0;
  int height = 0;

 private:
  std::vector<float> rows_;
};

std::vector<uint8_t> upscale(Session& session, PhotoRows& photo, int tile, int pad, int blend) {
  TiledUpscaleSpec spec;
  spec.width = photo.width;
  spec.height = photo.height;
  spec.scale = 4;
  spec.tile = tile;
  spec.pad = pad;
  spec.blend = blend;
  TiledUpscaler upscaler(session, spec);
  std::vector<uint8_t> out;
  while (!upscaler.finished()) {
    Result<OutputStrip> strip = upscaler.next_strip(photo);
    EXPECT_TRUE(strip.is_ok()) << strip.status().message();
    if (!strip.is_ok()) break;
    out.insert(out.end(), strip->bytes.begin(), strip->bytes.end());
  }
  return out;
}

double psnr(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  double squared = 0;
  for (size_t i = 0; i < a.size(); ++i) squared += (a[i] - b[i]) * (a[i] - b[i]);
  return 10.0 * std::log10(255.0 * 255.0 * static_cast<double>(a.size()) / squared);
}

TEST(RealModelTiling, DefaultPadKeepsTilesWithin45DbOfTheWholeImage) {
  const std::filesystem::path dir = resolve_models_directory("");
  auto path = resolve_model_argument("realesrgan-x4plus", dir);
  ASSERT_TRUE(path.is_ok()) << path.status().message()
                            << " (run `real-esrgan-serve models fetch all` first)";
  auto model = load_model(*path);
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  auto backend = make_backend("cpu");
  ASSERT_TRUE(backend.is_ok()) << backend.status().message();
  auto compiled = (*backend)->compile((*model)->graph, {});
  ASSERT_TRUE(compiled.is_ok()) << compiled.status().message();
  std::unique_ptr<Session> session = (*compiled)->new_session();

  // Reading is stateless: each run reads the same rows again from the start.
  PhotoRows photo(std::string(RESR_TEST_DATA) + "/images/sample.png");
  const std::vector<uint8_t> whole = upscale(*session, photo, 0, 0, 0);
  const std::vector<uint8_t> tiled =
      upscale(*session, photo, 64, kDefaultTilePad, kDefaultTileBlend);
  const std::vector<uint8_t> official = upscale(*session, photo, 64, 10, 0);
  ASSERT_EQ(whole.size(), static_cast<size_t>(photo.width) * photo.height * 48);
  ASSERT_EQ(tiled.size(), whole.size());
  const double ours = psnr(tiled, whole), theirs = psnr(official, whole);
  RecordProperty("psnr_default_db", std::to_string(ours));
  RecordProperty("psnr_pad10_db", std::to_string(theirs));
  std::printf(
      "x4plus, tiles of 64, tiled vs whole: pad %d blend %d: %.2f dB; pad 10 hard: %.2f dB\n",
      kDefaultTilePad, kDefaultTileBlend, ours, theirs);
  EXPECT_GE(ours, 45.0);
  EXPECT_LT(theirs, 45.0);
}

}  // namespace
}  // namespace resr
