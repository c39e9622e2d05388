// Hostile paths given to the CLI, run through the real binary on real files
// and real symlinks: a link in an input folder, an output that is an input
// (directly, through `..` or a link), an output folder inside the input folder
// rerun, and output names whose format disagrees with -f.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/upscale_cli_support.hpp"
#include "resr/status.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::read_file_bytes;
using testing::read_pixels;
using testing::ScratchDir;
using testing::upscale_cli;

const int kBadUsage = exit_code_for(ErrorCode::kInvalidArgument);

TEST(CliPaths, SymlinkInInputFolderIsReadNeverWrittenThrough) {
  ScratchDir dir;
  fs::create_directories(dir / "in");
  fs::create_directories(dir / "elsewhere");
  fs::copy_file(fixture("rgb8.png"), dir / "in/a.png");
  fs::copy_file(fixture("rgb8.png"), dir / "elsewhere/victim.png");
  const std::string victim = read_file_bytes(dir / "elsewhere/victim.png");
  fs::create_symlink("../elsewhere/victim.png", dir / "in/link.png");

  auto r = upscale_cli({"-i", dir / "in", "-o", dir / "out", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file_bytes(dir / "elsewhere/victim.png"), victim);
  EXPECT_EQ(read_pixels(dir / "out/link.png").width, 48);  // named as listed, read through it
  EXPECT_EQ(read_pixels(dir / "out/a.png").width, 48);
  EXPECT_TRUE(fs::is_symlink(dir / "in/link.png"));
}

TEST(CliPaths, SymlinkToASiblingGetsItsOwnOutput) {
  ScratchDir dir;
  fs::create_directories(dir / "in");
  fs::copy_file(fixture("rgb8.png"), dir / "in/a.png");
  fs::create_symlink("a.png", dir / "in/b.png");
  auto r = upscale_cli({"-i", dir / "in", "-o", dir / "out", "-q", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["succeeded"], 2);
  EXPECT_TRUE(fs::is_regular_file(dir / "out/a.png"));
  EXPECT_TRUE(fs::is_regular_file(dir / "out/b.png"));
}

TEST(CliPaths, TwoInputsNamingOneOutputAreRefusedBeforeAnyWork) {
  ScratchDir dir;
  fs::create_directories(dir / "in");
  fs::copy_file(fixture("rgb8.png"), dir / "in/a.png");
  fs::copy_file(fixture("blocks.jpg"), dir / "in/a.jpg");
  auto r = upscale_cli({"-i", dir / "in", "-o", dir / "out", "-f", "png", "-q"});
  EXPECT_EQ(r.exit_code, kBadUsage) << r.err;
  EXPECT_NE(r.err.find("a.jpg"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("a.png"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(CliPaths, OutputThatIsTheInputIsRefused) {
  ScratchDir dir;
  fs::create_directories(dir / "sub");
  fs::copy_file(fixture("rgb8.png"), dir / "a.png");
  fs::create_symlink("a.png", dir / "alias.png");
  const std::string original = read_file_bytes(dir / "a.png");
  for (const fs::path& out : {dir / "a.png", dir / "sub/../a.png", dir / "alias.png"}) {
    auto r = upscale_cli({"-i", dir / "a.png", "-o", out, "--overwrite", "-q"});
    EXPECT_EQ(r.exit_code, kBadUsage) << out << ": " << r.err;
    EXPECT_NE(r.err.find("is the input"), std::string::npos) << r.err;
    EXPECT_EQ(read_file_bytes(dir / "a.png"), original) << out;
  }
}

TEST(CliPaths, OutputFolderThatIsOrHoldsTheInputFolderIsRefused) {
  ScratchDir dir;
  fs::create_directories(dir / "in/sub");
  fs::copy_file(fixture("rgb8.png"), dir / "in/a.png");
  fs::copy_file(fixture("rgb8.png"), dir / "in/sub/b.png");
  const std::string original = read_file_bytes(dir / "in/a.png");
  const std::vector<std::pair<fs::path, fs::path>> cases = {
      {dir / "in", dir / "in"}, {dir / "in", dir / "in/"}, {dir / "in/sub", dir / "in"}};
  for (const auto& [in, out] : cases) {
    auto r = upscale_cli({"-i", in, "-o", out, "-r", "--overwrite", "-q"});
    EXPECT_EQ(r.exit_code, kBadUsage) << in << " -> " << out << ": " << r.err;
    EXPECT_NE(r.err.find("input folder"), std::string::npos) << r.err;
  }
  EXPECT_EQ(read_file_bytes(dir / "in/a.png"), original);
  EXPECT_EQ(read_pixels(dir / "in/sub/b.png").width, 12);
}

TEST(CliPaths, OutputFolderInsideTheInputIsNotWalkedOnRerun) {
  ScratchDir dir;
  fs::create_directories(dir / "d");
  fs::copy_file(fixture("rgb8.png"), dir / "d/a.png");
  for (int run = 0; run < 3; ++run) {
    auto r = upscale_cli({"-i", dir / "d", "-o", dir / "d/out", "-r", "--overwrite", "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(read_pixels(dir / "d/out/a.png").width, 48);
  EXPECT_FALSE(fs::exists(dir / "d/out/out"));
}

TEST(CliPaths, OutputExtensionDecidesTheFormat) {
  ScratchDir dir;
  fs::copy_file(fixture("rgb8.png"), dir / "a.png");
  auto r = upscale_cli({"-i", dir / "a.png", "-o", dir / "a.jpg", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file_bytes(dir / "a.jpg").substr(0, 2), "\xFF\xD8");
}

TEST(CliPaths, UnknownFormatOrOutputExtensionIsRefusedWithTheList) {
  ScratchDir dir;
  fs::copy_file(fixture("rgb8.png"), dir / "a.png");
  const std::vector<std::vector<std::string>> cases = {
      {"-o", dir / "x.out"}, {"-o", dir / "y.png", "-f", "bmp"}, {"-f", "bmp"}};
  for (auto args : cases) {
    args.insert(args.begin(), {"-i", dir / "a.png", "-q"});
    auto r = upscale_cli(args);
    EXPECT_EQ(r.exit_code, kBadUsage) << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find("png, jpg"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir / "x.out"));
  EXPECT_FALSE(fs::exists(dir / "x.png"));
  EXPECT_FALSE(fs::exists(dir / "y.png"));
  EXPECT_FALSE(fs::exists(dir / "a_out.png"));
  EXPECT_FALSE(fs::exists(dir / "a_out.bmp"));
}

TEST(CliPaths, FormatAndOutputExtensionThatDisagreeAreRefused) {
  ScratchDir dir;
  fs::copy_file(fixture("rgb8.png"), dir / "a.png");
  auto r = upscale_cli({"-i", dir / "a.png", "-o", dir / "b.jpg", "-f", "png", "-q"});
  EXPECT_EQ(r.exit_code, kBadUsage) << r.err;
  EXPECT_FALSE(fs::exists(dir / "b.jpg"));
  EXPECT_FALSE(fs::exists(dir / "b.png"));
}

}  // namespace
}  // namespace resr
