// Folder runs through the real binary: every image done, -r, resuming by
// skipping outputs that exist, a bad image stopping the run or (-c) reported
// while the rest finish, and the --json summary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

// in/a.png, in/b.jpg, in/c.webp and in/sub/d.png.
fs::path make_folder(const ScratchDir& dir) {
  const fs::path in = dir / "in";
  fs::create_directories(in / "sub");
  fs::copy_file(fixture("rgb8.png"), in / "a.png");
  fs::copy_file(fixture("blocks.jpg"), in / "b.jpg");
  fs::copy_file(fixture("rgb8.webp"), in / "c.webp");
  fs::copy_file(fixture("grey8.png"), in / "sub/d.png");
  testing::write_file_bytes(in / "notes.txt", "not an image");
  return in;
}

bool has_partial_file(const fs::path& root) {
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().filename().string().find(".partial") != std::string::npos) return true;
  return false;
}

TEST(UpscaleFolderCli, EveryImageDoneIntoTheSuffixedFolder) {
  ScratchDir dir;
  const fs::path in = make_folder(dir);
  auto r = upscale_cli({"-i", in, "-q", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const fs::path out = dir / "in_out";
  EXPECT_EQ(read_pixels(out / "a.png").width, 48);
  EXPECT_EQ(read_pixels(out / "b.jpg").width, 64);
  EXPECT_EQ(read_pixels(out / "c.webp").width, 48);
  EXPECT_FALSE(fs::exists(out / "sub"));  // no -r
  EXPECT_FALSE(fs::exists(out / "notes.png"));

  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["succeeded"], 3);
  EXPECT_EQ(summary["skipped"], 0);
  EXPECT_EQ(summary["failed"], 0);
  EXPECT_EQ(summary["exit_code"], 0);
  EXPECT_EQ(summary["backend"], "cpu");
  EXPECT_EQ(summary["model"]["scale"], 4);
  EXPECT_EQ(summary["model"]["arch"], "SRVGGNetCompact");
  EXPECT_GT(summary["threads"].get<int>(), 0);
  EXPECT_EQ(summary["tile"], 0);  // automatic: chosen per image from --max-memory
  EXPECT_GE(summary["seconds"].get<double>(), 0.0);
  ASSERT_EQ(summary["images"].size(), 3u);
  const auto& first = summary["images"][0];
  EXPECT_EQ(first["input"], (in / "a.png").string());
  EXPECT_EQ(first["output"], (out / "a.png").string());
  EXPECT_EQ(first["status"], "ok");
  EXPECT_EQ(first["width"], 48);
  EXPECT_EQ(first["height"], 32);
  EXPECT_GE(first["tiles"].get<int>(), 1);
}

TEST(UpscaleFolderCli, RecursiveMirrorsSubfoldersIntoOutputFolder) {
  ScratchDir dir;
  const fs::path in = make_folder(dir);
  auto r = upscale_cli({"-i", in, "-r", "-q", "-o", dir / "made/here", "-f", "png"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string name : {"a.png", "b.png", "c.png", "sub/d.png"})
    EXPECT_TRUE(fs::exists(dir / "made/here" / name)) << name;
  EXPECT_EQ(read_pixels(dir / "made/here/sub/d.png").bands, 1);
}

TEST(UpscaleFolderCli, ResumeSkipsOutputsThatExistUnlessOverwrite) {
  ScratchDir dir;
  const fs::path in = make_folder(dir);
  const fs::path out = dir / "in_out";
  fs::create_directories(out);
  // A marker where a.png's output goes: a resumed run must leave it alone.
  testing::write_file_bytes(out / "a.png", "marker");
  auto r = upscale_cli({"-i", in, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file_bytes(out / "a.png"), "marker");
  EXPECT_NE(r.err.find("skipped"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["skipped"], 1);
  EXPECT_EQ(summary["succeeded"], 2);
  EXPECT_EQ(summary["images"][0]["status"], "skipped");

  const std::string b_before = read_file_bytes(out / "b.jpg");
  const auto b_time = fs::last_write_time(out / "b.jpg");
  r = upscale_cli({"-i", in, "-q", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["skipped"], 3);
  EXPECT_EQ(fs::last_write_time(out / "b.jpg"), b_time);

  r = upscale_cli({"-i", in, "-q", "--overwrite"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_pixels(out / "a.png").width, 48);
  EXPECT_EQ(read_file_bytes(out / "b.jpg"), b_before);
  EXPECT_FALSE(has_partial_file(dir.path()));
}

// in/a.png, in/b_broken.png (truncated), in/c.png.
fs::path make_folder_with_bad_image(const ScratchDir& dir) {
  const fs::path in = dir / "in";
  fs::create_directories(in);
  fs::copy_file(fixture("rgb8.png"), in / "a.png");
  const std::string png = read_file_bytes(fixture("sample.png"));
  testing::write_file_bytes(in / "b_broken.png", png.substr(0, png.size() / 2));
  fs::copy_file(fixture("rgb8.png"), in / "c.png");
  return in;
}

TEST(UpscaleFolderCli, FirstBadImageStopsTheRunWithItsExitCode) {
  ScratchDir dir;
  const fs::path in = make_folder_with_bad_image(dir);
  auto r = upscale_cli({"-i", in, "-q", "--json"});
  EXPECT_EQ(r.exit_code, exit_code_for(ErrorCode::kInvalidImage)) << r.err;
  EXPECT_NE(r.err.find("b_broken.png"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "in_out/a.png"));
  EXPECT_FALSE(fs::exists(dir / "in_out/b_broken.png"));
  EXPECT_FALSE(fs::exists(dir / "in_out/c.png"));
  EXPECT_FALSE(has_partial_file(dir.path()));
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["failed"], 1);
  EXPECT_EQ(summary["exit_code"], r.exit_code);
  ASSERT_EQ(summary["images"].size(), 2u);
  EXPECT_EQ(summary["images"][1]["status"], "failed");
}

TEST(UpscaleFolderCli, ContinueOnErrorReportsTheBadImageAndFinishesTheRest) {
  ScratchDir dir;
  const fs::path in = make_folder_with_bad_image(dir);
  auto r = upscale_cli({"-i", in, "-c", "--json"});
  EXPECT_EQ(r.exit_code, kExitSomeImagesFailed) << r.err;
  EXPECT_NE(r.err.find("b_broken.png"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "in_out/a.png"));
  EXPECT_TRUE(fs::exists(dir / "in_out/c.png"));
  EXPECT_FALSE(fs::exists(dir / "in_out/b_broken.png"));
  EXPECT_FALSE(has_partial_file(dir.path()));
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["succeeded"], 2);
  EXPECT_EQ(summary["failed"], 1);
  EXPECT_EQ(summary["exit_code"], kExitSomeImagesFailed);
  const auto& bad = summary["images"][1];
  EXPECT_EQ(bad["status"], "failed");
  EXPECT_EQ(bad["exit_code"], exit_code_for(ErrorCode::kInvalidImage));
  EXPECT_NE(bad["error"].get<std::string>().find("b_broken.png"), std::string::npos);
}

// An image is encoded while the next one runs: its write error still belongs to it.
TEST(UpscaleFolderCli, AWriteFailingInTheBackgroundIsReportedForItsImage) {
  ScratchDir dir;
  const fs::path in = dir / "in";
  fs::create_directories(in);
  for (const char* name : {"a.png", "b.png", "c.png"})
    fs::copy_file(fixture("rgb8.png"), in / name);
  fs::create_directories(dir / "in_out/b.png");  // the rename onto it fails

  auto go_on = upscale_cli({"-i", in, "-c", "--overwrite", "--json", "-q"});
  EXPECT_EQ(go_on.exit_code, kExitSomeImagesFailed) << go_on.err;
  const auto summary = nlohmann::json::parse(go_on.out);
  ASSERT_EQ(summary["images"].size(), 3u);
  EXPECT_EQ(summary["images"][0]["status"], "ok");
  EXPECT_EQ(summary["images"][1]["status"], "failed");
  EXPECT_EQ(summary["images"][1]["exit_code"], exit_code_for(ErrorCode::kIoError));
  EXPECT_NE(summary["images"][1]["error"].get<std::string>().find("in_out/b.png"),
            std::string::npos);
  EXPECT_EQ(summary["images"][2]["status"], "ok");
  EXPECT_FALSE(has_partial_file(dir.path()));

  fs::remove(dir / "in_out/a.png");
  fs::remove(dir / "in_out/c.png");
  auto stop = upscale_cli({"-i", in, "--overwrite", "-q"});
  EXPECT_EQ(stop.exit_code, exit_code_for(ErrorCode::kIoError)) << stop.err;
  EXPECT_TRUE(fs::exists(dir / "in_out/a.png"));
  EXPECT_FALSE(fs::exists(dir / "in_out/c.png"));  // computed, never written
  EXPECT_FALSE(has_partial_file(dir.path()));
}

TEST(UpscaleFolderCli, SingleFileFailureExitsAtOnceEvenWithContinue) {
  ScratchDir dir;
  testing::write_file_bytes(dir / "empty.png", "");
  auto r = upscale_cli({"-i", dir / "empty.png", "-c", "-q"});
  EXPECT_EQ(r.exit_code, exit_code_for(ErrorCode::kInvalidImage)) << r.err;
}

TEST(UpscaleFolderCli, EmptyFolderIsNotFound) {
  ScratchDir dir;
  fs::create_directories(dir / "nothing");
  auto r = upscale_cli({"-i", dir / "nothing"});
  EXPECT_EQ(r.exit_code, exit_code_for(ErrorCode::kNotFound));
  EXPECT_NE(r.err.find("has no images"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace resr
