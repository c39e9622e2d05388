// Peak memory of a whole upscale, input file to output file, must not grow with
// the image. Rows of tiles are streamed, so the height costs nothing; a strip of
// output rows must exist before PNG can encode it, so the width costs a few
// strips (tile * scale rows * output width). Each size runs in a fresh child
// process (this test binary, filtered to the child test) so VmHWM measures that
// run alone.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "image/image_upscaler.hpp"
#include "support/image_files.hpp"
#include "support/tiny_models.hpp"

namespace resr {
namespace {

constexpr const char* kDirVariable = "RESR_MEMORY_CHILD_DIR";

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A width x height RGB PNG with detail everywhere (x, y and x + y modulo 256).
void write_test_png(int width, int height, const std::filesystem::path& path) {
  ASSERT_TRUE(ensure_vips().is_ok());
  VipsImage* xy = nullptr;
  ASSERT_EQ(vips_xyz(&xy, width, height, nullptr), 0);
  VipsImagePtr xy_owned(xy);
  VipsImage *x = nullptr, *y = nullptr, *sum = nullptr, *rgb = nullptr, *mod = nullptr,
            *bytes = nullptr;
  ASSERT_EQ(vips_extract_band(xy, &x, 0, nullptr), 0);
  VipsImagePtr x_owned(x);
  ASSERT_EQ(vips_extract_band(xy, &y, 1, nullptr), 0);
  VipsImagePtr y_owned(y);
  ASSERT_EQ(vips_add(x, y, &sum, nullptr), 0);
  VipsImagePtr sum_owned(sum);
  VipsImage* bands[] = {x, y, sum};
  ASSERT_EQ(vips_bandjoin(bands, &rgb, 3, nullptr), 0);
  VipsImagePtr rgb_owned(rgb);
  ASSERT_EQ(vips_remainder_const1(rgb, &mod, 256, nullptr), 0);
  VipsImagePtr mod_owned(mod);
  ASSERT_EQ(vips_cast(mod, &bytes, VIPS_FORMAT_UCHAR, nullptr), 0);
  VipsImagePtr bytes_owned(bytes);
  ASSERT_EQ(vips_image_write_to_file(bytes, path.c_str(), "compression", 1, nullptr), 0)
      << take_vips_error();
}

// Runs in the child: upscales input.png 4x with tiles of 64 and prints the peak.
TEST(ImageUpscalerMemoryChild, UpscaleAndReportPeak) {
  const char* dir = std::getenv(kDirVariable);
  if (dir == nullptr) GTEST_SKIP() << "runs only as the child of PeakRssDoesNotGrowWithImageSize";
  testing::TinyModel model = testing::compile_reference(testing::nearest_graph(4));
  const std::filesystem::path folder(dir);
  Result<InputImage> image = open_image(folder / "input.png");
  ASSERT_TRUE(image.is_ok()) << image.status().message();
  UpscaleOptions options;
  options.model_scale = 4;
  options.tile = 64;
  const auto start = std::chrono::steady_clock::now();
  Result<UpscaleReport> r =
      upscale_image(*model.session, std::move(image).value(), folder / "output.png", {}, options);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("RESULT peak_kib=%ld seconds=%.1f width=%d height=%d\n", peak_rss_kib(), seconds,
              r->width, r->height);
}

struct ChildRun {
  long peak_kib = -1;
  double seconds = 0;
  int width = 0;
  int height = 0;
};

ChildRun run_child(int width, int height) {
  testing::ScratchDir dir;
  write_test_png(width, height, dir / "input.png");
  const std::string command = std::string(kDirVariable) + "=" + dir.path().string() + " /proc/" +
                              std::to_string(getpid()) +
                              "/exe --gtest_filter=ImageUpscalerMemoryChild.* 2>&1";
  ChildRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char line[512];
  std::string all;
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    all += line;
    std::sscanf(line, "RESULT peak_kib=%ld seconds=%lf width=%d height=%d", &run.peak_kib,
                &run.seconds, &run.width, &run.height);
  }
  EXPECT_EQ(pclose(pipe), 0) << all;
  return run;
}

TEST(ImageUpscalerMemory, PeakRssDoesNotGrowWithImageSize) {
  const ChildRun square = run_child(1024, 1024);
  const ChildRun tall = run_child(1024, 4096);
  const ChildRun large = run_child(4096, 4096);
  ASSERT_EQ(square.height, 4096);
  ASSERT_EQ(tall.height, 16384);
  ASSERT_EQ(large.width, 16384);
  ASSERT_EQ(large.height, 16384);
  std::printf(
      "peak RSS, tiles of 64, nearest x4 to PNG: 1024x1024: %ld MiB (%.1f s), 1024x4096: %ld MiB "
      "(%.1f s), 4096x4096 -> 16384x16384: %ld MiB (%.1f s)\n",
      square.peak_kib / 1024, square.seconds, tall.peak_kib / 1024, tall.seconds,
      large.peak_kib / 1024, large.seconds);
  // Four times the height: the same peak, give or take allocator noise.
  EXPECT_LT(tall.peak_kib, square.peak_kib + 8 * 1024);
  // Four times the width (16x the pixels, an 805 MB image): a few strips more,
  // as pipeline_buffer_bytes predicts (the estimate auto tiling relies on).
  auto estimate_kib = [](int width, int height) {
    return pipeline_buffer_bytes(width, height, 3, 8, 4, 64, kDefaultTilePad, kDefaultTileBlend) /
           1024;
  };
  const int64_t predicted = estimate_kib(4096, 4096) - estimate_kib(1024, 1024);
  const int64_t measured = large.peak_kib - square.peak_kib;
  std::printf("growth 1024 -> 4096 wide: measured %ld MiB, predicted %ld MiB\n", measured / 1024,
              predicted / 1024);
  EXPECT_GT(measured, predicted / 2);
  EXPECT_LT(measured, predicted + 24 * 1024);
  EXPECT_LT(large.peak_kib, 200 * 1024);
}

}  // namespace
}  // namespace resr
