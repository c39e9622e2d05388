// `server start|stop|status --pid-file` given files that are not this
// program's PID files, through the real binary: a foreign process that holds
// a locked PID file (started and ended by the test), files holding 0 and -1,
// and ordinary files (notes, a config) that must come out untouched.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "resr/status.hpp"
#include "support/image_files.hpp"
#include "support/run_binary.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::read_file_bytes;
using testing::run_binary;
using testing::ScratchDir;
using testing::write_file_bytes;

const int kBadUsage = exit_code_for(ErrorCode::kInvalidArgument);

// A process that is not a server: `sleep 60`, ended by the destructor.
class ForeignProcess {
 public:
  ForeignProcess() {
    char sleep[] = "/bin/sleep";
    char seconds[] = "60";
    char* argv[] = {sleep, seconds, nullptr};
    EXPECT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv, environ), 0);
  }
  ~ForeignProcess() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }
  // Still running (not signalled, not exited).
  bool alive() const { return waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = 0;
};

// Holds an exclusive lock on `path`, as a live server holds its PID file.
class HeldLock {
 public:
  explicit HeldLock(const fs::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    EXPECT_EQ(flock(fd_, LOCK_EX | LOCK_NB), 0);
  }
  ~HeldLock() { ::close(fd_); }

 private:
  int fd_;
};

TEST(CliPidFile, StopRefusesALockedPidFileOfAProcessThatIsNoServer) {
  ScratchDir dir;
  ForeignProcess foreign;
  const fs::path pid_file = dir / "server.pid";
  write_file_bytes(pid_file, std::to_string(foreign.pid()) + "\n");
  HeldLock lock(pid_file);
  auto r = run_binary(
      {"server", "stop", "--pid-file", pid_file, "--data-dir", dir / "data", "--timeout", "1"});
  EXPECT_EQ(r.exit_code, kBadUsage) << r.out << r.err;
  EXPECT_NE(r.err.find("not a real-esrgan-serve server"), std::string::npos) << r.err;
  EXPECT_TRUE(foreign.alive());
  EXPECT_TRUE(fs::exists(pid_file));
}

TEST(CliPidFile, StopRefusesPidFilesHoldingZeroOrMinusOne) {
  for (const std::string text : {"0\n", "-1\n", "1\n"}) {
    ScratchDir dir;
    const fs::path pid_file = dir / "server.pid";
    write_file_bytes(pid_file, text);
    HeldLock lock(pid_file);
    auto r = run_binary(
        {"server", "stop", "--pid-file", pid_file, "--data-dir", dir / "data", "--timeout", "1"});
    EXPECT_EQ(r.exit_code, kBadUsage) << text << r.out << r.err;  // and this test still runs
    EXPECT_NE(r.err.find("not a PID file"), std::string::npos) << r.err;
    EXPECT_EQ(read_file_bytes(pid_file), text);
  }
}

TEST(CliPidFile, StatusAndStopLeaveFilesThatAreNoPidFile) {
  ScratchDir dir;
  const fs::path notes = dir / "notes.txt";
  write_file_bytes(notes, "my notes\n");
  write_file_bytes(dir / "notes.txt.address", "keep me\n");
  for (const std::string command : {"status", "stop"}) {
    auto r = run_binary({"server", command, "--pid-file", notes, "--data-dir", dir / "data"});
    EXPECT_EQ(r.exit_code, kBadUsage) << command << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("not a PID file"), std::string::npos) << r.err;
    EXPECT_EQ(read_file_bytes(notes), "my notes\n") << command;
    EXPECT_EQ(read_file_bytes(dir / "notes.txt.address"), "keep me\n") << command;
  }
}

TEST(CliPidFile, StartNeverTruncatesAFileThatIsNoPidFile) {
  ScratchDir dir;
  const fs::path config = dir / "config.toml";
  write_file_bytes(config, "port = 8080\n");
  // The model does not exist: a start that took the file would truncate it,
  // fail, and delete it.
  auto r = run_binary({"server", "start", "-p", "0", "--pid-file", config, "--data-dir",
                       dir / "data", "-m", dir / "none.pth"});
  EXPECT_EQ(r.exit_code, kBadUsage) << r.err;
  EXPECT_NE(r.err.find("not a PID file"), std::string::npos) << r.err;
  EXPECT_EQ(read_file_bytes(config), "port = 8080\n");
}

TEST(CliPidFile, StaleFileOfThisFormatIsStillRemoved) {
  ScratchDir dir;
  const fs::path pid_file = dir / "server.pid";
  write_file_bytes(pid_file, "999999\n");
  write_file_bytes(dir / "server.pid.address", "127.0.0.1:1\n");
  auto r = run_binary({"server", "status", "--pid-file", pid_file, "--data-dir", dir / "data"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_FALSE(fs::exists(pid_file));
  EXPECT_FALSE(fs::exists(dir / "server.pid.address"));
}

}  // namespace
}  // namespace resr
