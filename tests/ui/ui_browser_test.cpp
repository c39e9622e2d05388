// The web page in a real browser: Debian's chromium, driven by playwright-core
// (tests/ui/browser_check.js), against a real server on a loopback port with a
// tiny model, a token, a small upload cap and a queue of two.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "server/server_test_support.hpp"
#include "support/run_binary.hpp"

namespace resr::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kChromium = "/usr/bin/chromium";
// As tools/test.sh installs it.
constexpr const char* kPlaywrightInstall =
    "npm install --ignore-scripts --prefix .peers playwright-core@1.65.2";

std::string playwright_module() {
  const char* env = std::getenv("PLAYWRIGHT_CORE");
  return env ? env : std::string(RESR_SOURCE_DIR) + "/.peers/node_modules/playwright-core";
}

// A 96 x 64 colour ramp: a result large enough to look at in a screenshot.
std::string ramp_png() {
  EXPECT_TRUE(ensure_vips().is_ok());
  VipsImage* xy = nullptr;
  EXPECT_EQ(vips_xyz(&xy, 96, 64, nullptr), 0);
  VipsImagePtr coordinates(xy);
  VipsImage* sum = nullptr;
  VipsImage* x = nullptr;
  VipsImage* y = nullptr;
  EXPECT_EQ(vips_extract_band(coordinates.get(), &x, 0, nullptr), 0);
  EXPECT_EQ(vips_extract_band(coordinates.get(), &y, 1, nullptr), 0);
  VipsImagePtr x_band(x), y_band(y);
  EXPECT_EQ(vips_add(x_band.get(), y_band.get(), &sum, nullptr), 0);
  VipsImagePtr sum_band(sum);
  VipsImage* bands[] = {x_band.get(), y_band.get(), sum_band.get()};
  VipsImage* joined = nullptr;
  EXPECT_EQ(vips_bandjoin(bands, &joined, 3, nullptr), 0);
  VipsImagePtr rgb(joined);
  VipsImage* scaled = nullptr;
  EXPECT_EQ(vips_linear1(rgb.get(), &scaled, 1.6, 0.0, nullptr), 0);
  VipsImagePtr bright(scaled);
  return png_of(bright.get());
}

std::string random_bytes(size_t n) {
  std::mt19937 random(18);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  return bytes;
}

TEST(UiBrowser, UploadProgressCompareDownloadCancelErrorsAndKeyboard) {
  if (!fs::exists(kChromium)) {
    GTEST_SKIP() << kChromium << " is absent (apt-get install chromium): the web page's browser "
                 << "test needs it";
  }
  const std::string playwright = playwright_module();
  ASSERT_TRUE(fs::exists(playwright))
      << playwright << " is absent; install it: " << kPlaywrightInstall;
  ScratchDir dir;
  ServerConfig config = test_config(dir.path() / "data");
  config.token = "ui-test-token";
  config.max_upload_bytes = 256 * 1024;
  config.max_queue = 2;
  TestServer server(config);
  ASSERT_TRUE(server.ok());

  const fs::path files = dir.path() / "files";
  fs::create_directories(files);
  write_file_bytes(files / "ramp.png", ramp_png());
  write_file_bytes(files / "small.png", small_png());
  write_file_bytes(files / "slow.png", flat_png(1536));          // long enough to cancel
  write_file_bytes(files / "huge.png", random_bytes(20 << 20));  // far over the upload cap
  const fs::path shots = fs::path(RESR_BINARY).parent_path() / "ui-screenshots";
  fs::create_directories(shots);
  for (const char* shot : {"desktop.png", "phone.png", "errors.png"}) fs::remove(shots / shot);

  const CommandResult run =
      run_program(NODE_PROGRAM,
                  {std::string(RESR_SOURCE_DIR) + "/tests/ui/browser_check.js",
                   "http://127.0.0.1:" + std::to_string(server.port()), config.token,
                   files.string(), shots.string()},
                  {"PLAYWRIGHT_CORE=" + playwright});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  for (const char* shot : {"desktop.png", "phone.png", "errors.png"}) {
    EXPECT_GT(fs::exists(shots / shot) ? fs::file_size(shots / shot) : 0, 1000u) << shot;
  }
}

}  // namespace
}  // namespace resr::testing
