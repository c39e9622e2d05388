#include "server/process/pid_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace resr {

namespace fs = std::filesystem;

namespace {

fs::path address_path(const fs::path& pid_path) { return pid_path.string() + ".address"; }

pid_t read_pid(int fd) {
  char text[32] = {};
  const ssize_t n = pread(fd, text, sizeof text - 1, 0);
  return n > 0 ? static_cast<pid_t>(std::atol(text)) : 0;
}

}  // namespace

Result<PidFile> PidFile::acquire(const fs::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return error(ErrorCode::kIoError, "cannot open the PID file " + path.string());
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const pid_t other = read_pid(fd);
    ::close(fd);
    return error(ErrorCode::kUnavailable,
                 "a server is already running (PID " + std::to_string(other) + ", PID file " +
                     path.string() + "); stop it with `real-esrgan-serve server stop`");
  }
  fs::remove(address_path(path), ec);  // a killed server's
  const std::string text = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    ::close(fd);
    return error(ErrorCode::kIoError, "cannot write the PID file " + path.string());
  }
  return PidFile(path, fd);
}

PidFile::PidFile(PidFile&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

PidFile::~PidFile() {
  if (fd_ < 0) return;
  std::error_code ignored;
  fs::remove(address_path(path_), ignored);
  fs::remove(path_, ignored);
  ::close(fd_);
}

Status PidFile::write_address(const std::string& host, int port) {
  std::ofstream out(address_path(path_));
  out << host << ":" << port << "\n";
  if (!out) return error(ErrorCode::kIoError, "cannot write " + address_path(path_).string());
  return Status::ok();
}

ServerProcess probe_pid_file(const fs::path& path) {
  ServerProcess process;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return process;
  process.pid = read_pid(fd);
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    // Nobody holds the lock: the server that wrote it is gone.
    process.stale = true;
    std::error_code ignored;
    fs::remove(address_path(path), ignored);
    fs::remove(path, ignored);
  } else {
    process.running = true;
    std::ifstream address(address_path(path));
    std::getline(address, process.address);
  }
  ::close(fd);
  return process;
}

}  // namespace resr
