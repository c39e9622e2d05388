// `real-esrgan-serve -i FILE` through the real binary: where the output goes,
// what it keeps of the input (format, alpha, depth, grey, orientation, ICC),
// the exact sizes of --outscale, and what every bad input or option answers.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "resr/status.hpp"
#include "upscale_cli_support.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::read_file_bytes;
using testing::read_pixels;
using testing::ScratchDir;
using testing::upscale_cli;

// Copies a fixture into the scratch folder, so outputs written beside it land there.
fs::path copy_in(const ScratchDir& dir, const std::string& name, const std::string& as = "") {
  const fs::path to = dir / (as.empty() ? name : as);
  fs::copy_file(fixture(name), to);
  return to;
}

TEST(UpscaleCli, FileOutputGoesBesideItWithTheSuffix) {
  ScratchDir dir;
  const fs::path in = copy_in(dir, "rgb8.png", "photo.png");
  auto r = upscale_cli({"-i", in, "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // -q: nothing on stderr
  EXPECT_EQ(r.out, "");
  const auto out = read_pixels(dir / "photo_out.png");
  EXPECT_EQ(out.width, 48);
  EXPECT_EQ(out.height, 32);
  EXPECT_EQ(out.bands, 3);

  ASSERT_EQ(upscale_cli({"-i", in, "-q", "--suffix", "big"}).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir / "photo_big.png"));
}

TEST(UpscaleCli, ProgressLineOnStderrUnlessQuiet) {
  ScratchDir dir;
  const fs::path in = copy_in(dir, "rgb8.png");
  auto r = upscale_cli({"-i", in});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("rgb8.png -> "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rgb8_out.png (48x32"), std::string::npos) << r.err;
}

TEST(UpscaleCli, OutputFileFolderAndFormat) {
  ScratchDir dir;
  const fs::path in = copy_in(dir, "rgb8.png");
  // -o names a file in a folder that does not exist yet.
  ASSERT_EQ(upscale_cli({"-i", in, "-q", "-o", dir / "new/deeper/big.jpg"}).exit_code, 0);
  EXPECT_EQ(read_file_bytes(dir / "new/deeper/big.jpg").substr(0, 3), "\xFF\xD8\xFF");
  // -o names a folder (trailing slash): the input's stem inside it.
  ASSERT_EQ(upscale_cli({"-i", in, "-q", "-o", (dir / "folder").string() + "/"}).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir / "folder/rgb8.png"));
  // -f picks the format.
  ASSERT_EQ(upscale_cli({"-i", in, "-q", "-f", "webp"}).exit_code, 0);
  EXPECT_EQ(read_file_bytes(dir / "rgb8_out.webp").substr(8, 4), "WEBP");
  // An extension we cannot write is refused; none takes the input's format.
  EXPECT_EQ(upscale_cli({"-i", in, "-q", "-o", dir / "odd.bmp"}).exit_code, 2);
  EXPECT_FALSE(fs::exists(dir / "odd.png"));
  ASSERT_EQ(upscale_cli({"-i", in, "-q", "-o", dir / "plain"}).exit_code, 0);
  EXPECT_EQ(read_file_bytes(dir / "plain.png").substr(1, 3), "PNG");
}

TEST(UpscaleCli, RgbaAskedAsJpegBecomesPngWithAlpha) {
  ScratchDir dir;
  const fs::path in = copy_in(dir, "rgba8.png");
  auto r = upscale_cli({"-i", in, "-q", "-f", "jpg", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir / "rgba8_out.jpg"));
  const auto out = read_pixels(dir / "rgba8_out.png");
  EXPECT_EQ(out.bands, 4);
  EXPECT_EQ(nlohmann::json::parse(r.out)["images"][0]["output"], (dir / "rgba8_out.png").string());
}

struct FormatCase {
  std::string input;
  std::string format;  // -f; empty keeps the input's
  std::string output;  // expected output name
  int width, height, bands, bit_depth;
};

class UpscaleCliFormats : public ::testing::TestWithParam<FormatCase> {};

TEST_P(UpscaleCliFormats, KeepsBandsAndDepth) {
  const FormatCase& c = GetParam();
  ScratchDir dir;
  const fs::path in = copy_in(dir, c.input);
  std::vector<std::string> args = {"-i", in, "-q"};
  if (!c.format.empty()) args.insert(args.end(), {"-f", c.format});
  auto r = upscale_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = read_pixels(dir / c.output);
  EXPECT_EQ(out.width, c.width);
  EXPECT_EQ(out.height, c.height);
  EXPECT_EQ(out.bands, c.bands);
  EXPECT_EQ(out.bit_depth, c.bit_depth);
}

INSTANTIATE_TEST_SUITE_P(
    AllFormats, UpscaleCliFormats,
    ::testing::Values(FormatCase{"rgb8.png", "", "rgb8_out.png", 48, 32, 3, 8},
                      FormatCase{"rgb8.png", "jpg", "rgb8_out.jpg", 48, 32, 3, 8},
                      FormatCase{"rgb8.png", "tif", "rgb8_out.tif", 48, 32, 3, 8},
                      FormatCase{"blocks.jpg", "", "blocks_out.jpg", 64, 64, 3, 8},
                      FormatCase{"rgb8.webp", "", "rgb8_out.webp", 48, 32, 3, 8},
                      FormatCase{"rgb8.tif", "", "rgb8_out.tif", 48, 32, 3, 8},
                      FormatCase{"rgb8.tif", "png", "rgb8_out.png", 48, 32, 3, 8},
                      FormatCase{"palette.gif", "", "palette_out.png", 48, 32, 3, 8},
                      FormatCase{"rgba8.png", "", "rgba8_out.png", 48, 32, 4, 8},
                      FormatCase{"rgba8.png", "webp", "rgba8_out.webp", 48, 32, 4, 8},
                      FormatCase{"rgb16.png", "", "rgb16_out.png", 48, 32, 3, 16},
                      FormatCase{"rgba16.png", "", "rgba16_out.png", 48, 32, 4, 16},
                      FormatCase{"grey8.png", "", "grey8_out.png", 48, 32, 1, 8},
                      FormatCase{"grey16.png", "", "grey16_out.png", 48, 32, 1, 16},
                      FormatCase{"greya8.png", "", "greya8_out.png", 48, 32, 2, 8}),
    [](const auto& info) {
      std::string name = info.param.input + "_" + info.param.format;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

TEST(UpscaleCli, AlphaKeptWithModelAndBicubic) {
  ScratchDir dir;
  const fs::path in = copy_in(dir, "rgba8.png");
  const auto source = read_pixels(in);
  for (const std::string mode : {"model", "bicubic"}) {
    const fs::path out = dir / (mode + ".png");
    auto r = upscale_cli({"-i", in, "-q", "--alpha", mode, "-o", out});
    ASSERT_EQ(r.exit_code, 0) << mode << ": " << r.err;
    const auto pixels = read_pixels(out);
    ASSERT_EQ(pixels.bands, 4) << mode;
    // The tiny golden model has random weights, so only bicubic must stay close
    // to the input's alpha; either way alpha is not replaced by opaque.
    std::set<int> alphas;
    double diff = 0;
    for (int y = 0; y < source.height; ++y)
      for (int x = 0; x < source.width; ++x) {
        alphas.insert(pixels.at(4 * x + 2, 4 * y + 2, 3));
        diff += std::abs(pixels.at(4 * x + 2, 4 * y + 2, 3) - source.at(x, y, 3));
      }
    EXPECT_GT(alphas.size(), 4u) << mode;
    if (mode == "bicubic") {
      EXPECT_LT(diff / (source.width * source.height), 24) << mode;
    }
  }
}

TEST(UpscaleCli, EveryExifOrientationGivesTheUprightImage) {
  ScratchDir dir;
  const fs::path canonical = dir / "canonical.png";
  ASSERT_EQ(
      upscale_cli({"-i", fixture("orientation_canonical.png"), "-q", "-o", canonical}).exit_code,
      0);
  const auto upright = read_pixels(canonical);
  ASSERT_EQ(upright.width, 96);
  ASSERT_EQ(upright.height, 64);
  for (int n = 1; n <= 8; ++n) {
    const fs::path out = dir / ("o" + std::to_string(n) + ".png");
    auto r =
        upscale_cli({"-i", fixture("orientation_" + std::to_string(n) + ".jpg"), "-q", "-o", out});
    ASSERT_EQ(r.exit_code, 0) << n << ": " << r.err;
    const auto pixels = read_pixels(out);
    EXPECT_EQ(pixels.orientation, 1) << n;  // rotated pixels, so no tag left to apply twice
    ASSERT_EQ(pixels.width, 96) << n;
    ASSERT_EQ(pixels.height, 64) << n;
    // JPEG at quality 98 on 8x8 colour blocks: a wrong turn would differ by ~100.
    EXPECT_LT(testing::mean_abs_difference(pixels, upright), 3.0) << n;
  }
}

TEST(UpscaleCli, IccProfileKeptByteForByte) {
  ScratchDir dir;
  const std::string profile = read_file_bytes(fixture("embedded.icc"));
  ASSERT_GT(profile.size(), 100u);
  for (const std::string name : {"icc.png", "icc.jpg"}) {
    const fs::path out = dir / (name + ".out.png");
    ASSERT_EQ(upscale_cli({"-i", fixture(name), "-q", "-o", out}).exit_code, 0) << name;
    const auto pixels = read_pixels(out);
    EXPECT_EQ(std::string(pixels.icc.begin(), pixels.icc.end()), profile) << name;
  }
}

TEST(UpscaleCli, OutscaleGivesExactSizes) {
  ScratchDir dir;
  const std::vector<std::tuple<std::string, int, int>> cases = {
      {"1.5", 18, 12}, {"2", 24, 16}, {"3.5", 42, 28}, {"8", 96, 64}};
  for (const auto& [scale, w, h] : cases) {
    const fs::path out = dir / ("s" + scale + ".png");
    auto r = upscale_cli({"-i", fixture("rgb8.png"), "-q", "-s", scale, "-o", out});
    ASSERT_EQ(r.exit_code, 0) << scale << ": " << r.err;
    const auto pixels = read_pixels(out);
    EXPECT_EQ(pixels.width, w) << scale;
    EXPECT_EQ(pixels.height, h) << scale;
  }
  // A x2 model: -s 3.5 is still measured from the input.
  const fs::path out = dir / "x2.png";
  ASSERT_EQ(upscale_cli({"-i", fixture("rgb8.png"), "-q", "-s", "3.5", "-o", out},
                        testing::tiny_x2_model())
                .exit_code,
            0);
  EXPECT_EQ(read_pixels(out).width, 42);
}

TEST(UpscaleCli, SameCommandTwiceGivesIdenticalBytes) {
  ScratchDir dir;
  for (const std::string name : {"sample.png", "rgba16.png"}) {
    const fs::path a = dir / ("a_" + name), b = dir / ("b_" + name);
    ASSERT_EQ(upscale_cli({"-i", fixture(name), "-q", "-t", "32", "-o", a}).exit_code, 0);
    ASSERT_EQ(upscale_cli({"-i", fixture(name), "-q", "-t", "32", "-o", b}).exit_code, 0);
    const std::string first = read_file_bytes(a);
    EXPECT_GT(first.size(), 1000u);
    EXPECT_TRUE(first == read_file_bytes(b)) << name;
  }
}

// --- bad inputs ---------------------------------------------------------------

uint32_t crc32_of(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string png_chunk(const std::string& type, const std::string& data) {
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  return be32(static_cast<uint32_t>(data.size())) + type + data + be32(crc32_of(type + data));
}

// A valid PNG header claiming 50000 x 50000 RGB, with a few bytes of data.
std::string png_header_bomb() {
  std::string ihdr = {0, 0, '\xC3', 'P', 0, 0, '\xC3', 'P', 8, 2, 0, 0, 0};
  const std::string idat = {'\x78', '\x9C', '\x63', 0, 0, 0, 1, 0, 1};
  return std::string("\x89PNG\r\n\x1A\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", idat) +
         png_chunk("IEND", "");
}

struct BadInput {
  std::string name;
  std::string file;   // written in the scratch folder
  std::string bytes;  // its content
  int exit_code;
  std::string message_part;
};

std::vector<BadInput> bad_inputs() {
  const std::string png = read_file_bytes(fixture("sample.png"));
  const std::string jpg = read_file_bytes(fixture("blocks.jpg"));
  return {
      {"zero_bytes", "empty.png", "", 4, "empty.png"},
      {"truncated_png", "cut.png", png.substr(0, png.size() / 2), 4, "cut.png"},
      {"truncated_jpeg", "cut.jpg", jpg.substr(0, jpg.size() / 2), 4, "cut.jpg"},
      {"header_bomb", "bomb.png", png_header_bomb(), 4, "50000"},
      {"svg_as_png", "drawing.png",
       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"9\" height=\"9\"></svg>", 4,
       "drawing.png"},
      {"pdf_as_png", "paper.png",
       "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
       4, "paper.png"},
  };
}

class UpscaleCliBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(UpscaleCliBadInput, ExitCodeAndMessageNoOutput) {
  const BadInput& c = GetParam();
  ScratchDir dir;
  testing::write_file_bytes(dir / c.file, c.bytes);
  const auto start = std::chrono::steady_clock::now();
  auto r = upscale_cli({"-i", dir / c.file, "-q"});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
  EXPECT_NE(r.err.find(c.message_part), std::string::npos) << r.err;
  EXPECT_LT(seconds, 5.0);  // the bomb is refused from its header, never decoded
  EXPECT_EQ(dir.names().size(), 1u) << "an output or .partial file was left behind";
}

INSTANTIATE_TEST_SUITE_P(All, UpscaleCliBadInput, ::testing::ValuesIn(bad_inputs()),
                         [](const auto& info) { return info.param.name; });

TEST(UpscaleCli, MissingInputIsNotFound) {
  auto r = upscale_cli({"-i", "/nonexistent/photo.png"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("/nonexistent/photo.png"), std::string::npos) << r.err;
}

TEST(UpscaleCli, UnwritableOutputIsAnIoError) {
  ScratchDir dir;
  auto r = upscale_cli({"-i", fixture("rgb8.png"), "-q", "-o", "/proc/x.png"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("/proc/x.png"), std::string::npos) << r.err;
  // A folder that cannot be made: its parent is a file.
  testing::write_file_bytes(dir / "file", "x");
  r = upscale_cli({"-i", fixture("rgb8.png"), "-q", "-o", dir / "file/out.png"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("file/out.png"), std::string::npos) << r.err;
  EXPECT_EQ(dir.names().size(), 1u);
}

TEST(UpscaleCli, BadOptions) {
  auto r = upscale_cli({"-i", fixture("rgb8.png"), "-g", "0"});
  EXPECT_EQ(r.exit_code, 10);
  EXPECT_NE(r.err.find("no GPU backend"), std::string::npos) << r.err;
  r = upscale_cli({"-i", fixture("rgb8.png"), "--backend", "nonsense"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nonsense"), std::string::npos) << r.err;
  r = upscale_cli({"-i", fixture("rgb8.png"), "-t", "-5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--tile: Value -5 not in range 0 to "), std::string::npos) << r.err;
}

}  // namespace
}  // namespace resr
