// A video run killed with SIGKILL midway keeps its finished segments; the same
// command with --resume computes only the rest and writes a complete file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "resr/status.hpp"
#include "video/segment_manifest.hpp"
#include "video_clips.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::run_binary;
using testing::start_binary;

size_t finished_segments(const fs::path& work_dir) {
  std::error_code ec;
  if (!fs::exists(work_dir / "manifest.json", ec)) return 0;
  auto manifest = read_manifest(work_dir);
  return manifest.is_ok() ? manifest->segments.size() : 0;
}

TEST(VideoResume, KilledRunResumesWithoutRedoingFinishedSegments) {
  ScratchDirectory dir = testing::video_scratch();
  const fs::path in = dir.path() / "in.mp4";
  const fs::path out = dir.path() / "out.mp4";
  const fs::path work_dir = work_directory_for(out);
  testing::ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=96x72:rate=24", "-f", "lavfi", "-i",
                   "sine=frequency=440", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast",
                   "-pix_fmt", "yuv420p", "-c:a", "aac", in.string()});
  // The plain C++ backend on one thread: slow enough to be caught midway.
  const std::vector<std::string> command = {"video",
                                            "-i",
                                            in,
                                            "-o",
                                            out,
                                            "-m",
                                            testing::tiny_x4_video_model(),
                                            "--backend",
                                            "reference",
                                            "-j",
                                            "1",
                                            "--segment-frames",
                                            "4",
                                            "-q"};

  const pid_t pid = start_binary(command);
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (finished_segments(work_dir) < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";

  EXPECT_FALSE(fs::exists(out));  // no partial file under the output's name
  const size_t done = finished_segments(work_dir);
  ASSERT_GE(done, 2u);
  ASSERT_LT(done, 12u);

  // Without --resume the earlier work is not thrown away.
  auto again = run_binary(command);
  EXPECT_EQ(again.exit_code, exit_code_for(ErrorCode::kInvalidArgument)) << again.err;
  EXPECT_NE(again.err.find("add --resume"), std::string::npos) << again.err;
  // Other options would not match the finished segments.
  std::vector<std::string> other = command;
  other.insert(other.end(), {"--resume", "--crf", "30"});
  auto mismatch = run_binary(other);
  EXPECT_EQ(mismatch.exit_code, exit_code_for(ErrorCode::kInvalidArgument)) << mismatch.err;
  EXPECT_NE(mismatch.err.find("other options"), std::string::npos) << mismatch.err;
  EXPECT_EQ(finished_segments(work_dir), done);

  std::vector<std::string> resume = command;
  resume.insert(resume.end(), {"--resume", "--json"});
  auto r = run_binary(resume);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["frames"], 48);
  EXPECT_EQ(summary["frames_resumed"], 4 * done);  // finished segments were not redone
  EXPECT_EQ(summary["segments"], 12);
  EXPECT_FALSE(fs::exists(work_dir));

  const nlohmann::json got = testing::probe(out);
  EXPECT_EQ(testing::codec_names(got), (std::vector<std::string>{"h264", "aac"}));
  EXPECT_EQ(got["streams"][0]["nb_read_frames"], "48");
  EXPECT_EQ(got["streams"][0]["width"], 384);
  EXPECT_EQ(testing::video_pts(out), testing::video_pts(in));
  EXPECT_EQ(testing::packet_hashes(out, "a"), testing::packet_hashes(in, "a"));
}

TEST(VideoResume, InterruptKeepsFinishedSegmentsAndExitsWith130) {
  ScratchDirectory dir = testing::video_scratch();
  const fs::path in = dir.path() / "in.mp4";
  const fs::path out = dir.path() / "out.mkv";
  const fs::path work_dir = work_directory_for(out);
  testing::make_clip(in, 48, {"-pix_fmt", "yuv420p", "-s", "96x72", "-c:a", "aac"});
  const pid_t pid =
      start_binary({"video", "-i", in, "-o", out, "-m", testing::tiny_x4_video_model(), "--backend",
                    "reference", "-j", "1", "--segment-frames", "4", "-q"});
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (finished_segments(work_dir) < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGINT);  // what Ctrl-C sends
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), exit_code_for(ErrorCode::kCancelled));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_GE(finished_segments(work_dir), 1u);
}

}  // namespace
}  // namespace resr
