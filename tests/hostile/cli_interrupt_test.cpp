// Interrupting the real binary mid-run with a real signal: SIGINT/SIGTERM exit
// 130 and leave no partial file; partial files left by a killed run are
// removed by the next run (CLI output folders, the server's data folders), but
// never one that a live writer still holds.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli/upscale_cli_support.hpp"
#include "core/pending_file.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::ScratchDir;
using testing::start_binary;
using testing::tiny_x4_model;
using testing::upscale_cli;

bool has_partial(const fs::path& folder) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec))
    if (is_partial_name(e.path().filename().string())) return true;
  return false;
}

// A noise image of 2048 x 2048 with `bands` bands: x4 it is 64 Mpx out, big
// enough that the run is still writing when the test signals it. Grey (64 MiB
// out) is computed in memory and then encoded; RGB is streamed to the file
// tile by tile: the two ways an output is written.
void write_big_image(const fs::path& path, int bands) {
  ASSERT_TRUE(ensure_vips().is_ok());
  VipsImage* noise = nullptr;
  VipsImage* banded = nullptr;
  VipsImage* pixels = nullptr;
  double green_blue[] = {7.0, 99.0};
  ASSERT_EQ(vips_gaussnoise(&noise, 2048, 2048, "mean", 128.0, "sigma", 40.0, nullptr), 0);
  if (bands == 1) {
    banded = noise;
    g_object_ref(banded);
  } else {
    ASSERT_EQ(vips_bandjoin_const(noise, &banded, green_blue, 2, nullptr), 0);
  }
  ASSERT_EQ(vips_cast_uchar(banded, &pixels, nullptr), 0);
  ASSERT_EQ(vips_image_write_to_file(pixels, path.c_str(), "compression", 1, nullptr), 0);
  g_object_unref(pixels);
  g_object_unref(banded);
  g_object_unref(noise);
}

// The exit code, or -1 when it was killed or did not exit within `seconds`.
int wait_exit(pid_t pid, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

bool wait_for_partial(const fs::path& folder, int seconds) {
  for (int i = 0; i < seconds * 100; ++i) {
    if (has_partial(folder)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void interrupt_mid_write(int sig, int bands) {
  ScratchDir dir;
  write_big_image(dir / "big.png", bands);
  fs::create_directories(dir / "out");
  const pid_t pid = start_binary({"-m", tiny_x4_model(), "-i", dir / "big.png", "-o",
                                  dir / "out/big.png", "-q", "-j", "1", "-t", "64"});
  ASSERT_TRUE(wait_for_partial(dir / "out", 90)) << "the run never started writing";
  kill(pid, sig);
  EXPECT_EQ(wait_exit(pid, 30), 130);
  EXPECT_FALSE(has_partial(dir / "out"));
  EXPECT_FALSE(fs::exists(dir / "out/big.png"));
}

TEST(CliInterrupt, SigintWhileEncodingExits130AndLeavesNoFile) { interrupt_mid_write(SIGINT, 1); }

TEST(CliInterrupt, SigtermWhileStreamingExits130AndLeavesNoFile) {
  interrupt_mid_write(SIGTERM, 3);
}

// The second signal does not wait for the run to unwind: it exits at once
// (what it leaves is for the next run to remove, tested below).
TEST(CliInterrupt, SecondSignalExitsAtOnceWith130) {
  ScratchDir dir;
  write_big_image(dir / "big.png", 3);
  fs::create_directories(dir / "out");
  const pid_t pid = start_binary({"-m", tiny_x4_model(), "-i", dir / "big.png", "-o",
                                  dir / "out/big.png", "-q", "-j", "1", "-t", "64"});
  ASSERT_TRUE(wait_for_partial(dir / "out", 90)) << "the run never started writing";
  kill(pid, SIGINT);
  kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid, 5), 130);
  EXPECT_FALSE(fs::exists(dir / "out/big.png"));
}

// A partial file of this program's name, last written an hour ago.
fs::path old_partial(const fs::path& folder, const std::string& name) {
  const fs::path path = folder / ("." + name + ".Ab12Cd.partial");
  testing::write_file_bytes(path, "half an image");
  fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::hours(1));
  return path;
}

TEST(CliInterrupt, StalePartialFilesInTheOutputFolderAreRemovedAtStart) {
  ScratchDir dir;
  fs::create_directories(dir / "out");
  fs::copy_file(fixture("rgb8.png"), dir / "a.png");
  const fs::path stale = old_partial(dir / "out", "a.png");
  const fs::path held = old_partial(dir / "out", "b.png");
  const int lock = ::open(held.c_str(), O_RDONLY | O_CLOEXEC);  // a live writer's
  ASSERT_EQ(flock(lock, LOCK_EX | LOCK_NB), 0);
  const fs::path fresh = dir / "out/.c.png.Zz99Yy.partial";  // just made by another run
  testing::write_file_bytes(fresh, "being written");
  testing::write_file_bytes(dir / "out/.notes.partial", "not one of ours");  // no XXXXXX part

  auto r = upscale_cli({"-i", dir / "a.png", "-o", dir / "out/a.png", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(held));
  EXPECT_TRUE(fs::exists(fresh));
  EXPECT_TRUE(fs::exists(dir / "out/.notes.partial"));
  ::close(lock);
}

TEST(CliInterrupt, StalePartialFilesInTheServersDataFoldersAreRemovedAtStart) {
  ScratchDir dir;
  fs::create_directories(dir / "data/results");
  fs::create_directories(dir / "data/inputs");
  const fs::path result = old_partial(dir / "data/results", "t1.png");
  const fs::path upload = old_partial(dir / "data/inputs", "t2.png");
  const pid_t pid = start_binary(
      {"server", "start", "-p", "0", "-m", tiny_x4_model(), "-j", "1", "--data-dir", dir / "data"});
  bool gone = false;
  for (int i = 0; i < 600 && !gone; ++i) {
    gone = !fs::exists(result) && !fs::exists(upload);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGTERM);
  wait_exit(pid, 30);
  EXPECT_TRUE(gone);
}

}  // namespace
}  // namespace resr
