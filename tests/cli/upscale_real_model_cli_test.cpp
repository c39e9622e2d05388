// The installed realesrgan-x4plus on real photographs through the CLI: the
// optimised cpu backend against the plain reference backend, and tiled output
// against whole-image output. Skipped when the models are not installed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "backend/cpu/cpu_target.hpp"
#include "model/zoo/model_directory.hpp"
#include "upscale_cli_support.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::read_pixels;
using testing::ScratchDir;

fs::path real_models_directory() {
  const char* env = std::getenv(kModelsDirEnv);
  return env && *env ? fs::path(env) : fs::path(RESR_SOURCE_DIR) / "models";
}

class UpscaleRealModelCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(real_models_directory() / "realesrgan-x4plus.bin"))
      GTEST_SKIP() << "realesrgan-x4plus is not installed in " << real_models_directory();
  }
  // Runs x4plus on `input` into `output` with extra options; returns seconds.
  double upscale(const fs::path& input, const fs::path& output, std::vector<std::string> extra) {
    std::vector<std::string> args = {"-m",
                                     "realesrgan-x4plus",
                                     "--models-dir",
                                     real_models_directory(),
                                     "-i",
                                     input,
                                     "-o",
                                     output,
                                     "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto start = std::chrono::steady_clock::now();
    auto r = testing::run_binary(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

TEST_F(UpscaleRealModelCli, CpuBackendMatchesReferenceOnAPhoto) {
  ScratchDir dir;
  const fs::path photo = fs::path(RESR_TEST_DATA) / "photos/coffee_48x40.png";
  const double cpu_s = upscale(photo, dir / "cpu.png", {});
  const double ref_s = upscale(photo, dir / "reference.png", {"--backend", "reference"});
  std::printf("coffee_48x40 x4plus: cpu %.2f s, reference %.2f s\n", cpu_s, ref_s);
  const auto cpu = read_pixels(dir / "cpu.png");
  const auto reference = read_pixels(dir / "reference.png");
  ASSERT_EQ(cpu.width, 192);
  ASSERT_EQ(cpu.height, 160);
  ASSERT_EQ(cpu.bytes.size(), reference.bytes.size());
  size_t same = 0;
  int worst = 0;
  for (size_t i = 0; i < cpu.bytes.size(); ++i) {
    const int d = std::abs(int{cpu.bytes[i]} - int{reference.bytes[i]});
    same += d == 0;
    worst = std::max(worst, d);
  }
  const double fraction = static_cast<double>(same) / static_cast<double>(cpu.bytes.size());
  std::printf("identical 8-bit values: %.4f%%, largest difference %d\n", 100 * fraction, worst);
  EXPECT_GE(fraction, 0.999);
  EXPECT_LE(worst, 1);
}

TEST_F(UpscaleRealModelCli, TiledOutputMatchesWholeImage) {
  ScratchDir dir;
  const fs::path photo = testing::fixture("sample.png");  // 128 x 96: 2 x 2 tiles of 64
  const double whole_s = upscale(photo, dir / "whole.png", {"-t", "1024"});
  const double tiled_s = upscale(photo, dir / "tiled.png", {"-t", "64"});
  const double pad10_s = upscale(photo, dir / "pad10.png", {"-t", "64", "--tile-pad", "10"});
  const auto whole = read_pixels(dir / "whole.png");
  ASSERT_EQ(whole.width, 512);
  ASSERT_EQ(whole.height, 384);
  const double default_pad_db = testing::psnr(read_pixels(dir / "tiled.png"), whole);
  const double pad10_db = testing::psnr(read_pixels(dir / "pad10.png"), whole);
  std::printf(
      "sample.png x4plus: whole %.1f s; -t 64: %.1f s, PSNR %.2f dB; "
      "-t 64 --tile-pad 10: %.1f s, PSNR %.2f dB\n",
      whole_s, tiled_s, default_pad_db, pad10_s, pad10_db);
  EXPECT_GE(default_pad_db, 45.0);
}

// bf16 keeps 8 significant bits per activation; on real photos the 8-bit
// output stays within 40 dB PSNR of fp32 (the documented tolerance of
// --precision bf16; measured 49-57 dB).
TEST_F(UpscaleRealModelCli, Bf16StaysWithin40DbOfFp32OnThreePhotos) {
  if (!cpu::cpu_has_bf16()) GTEST_SKIP() << "this CPU lacks AVX512-BF16";
  ScratchDir dir;
  for (const char* name : {"astronaut_48x40", "coffee_48x40", "chelsea_48x40"}) {
    const fs::path photo = fs::path(RESR_TEST_DATA) / "photos" / (std::string(name) + ".png");
    const fs::path fp32 = dir / (std::string(name) + "_fp32.png");
    const fs::path bf16 = dir / (std::string(name) + "_bf16.png");
    upscale(photo, fp32, {});
    upscale(photo, bf16, {"--precision", "bf16"});
    const double db = testing::psnr(read_pixels(bf16), read_pixels(fp32));
    std::printf("%s x4plus bf16 vs fp32: PSNR %.2f dB\n", name, db);
    EXPECT_GE(db, 40.0) << name;
    EXPECT_LT(db, INFINITY) << name << ": bf16 gave the fp32 bytes; was bf16 used?";
  }
}

}  // namespace
}  // namespace resr
