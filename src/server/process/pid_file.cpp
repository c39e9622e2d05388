#include "server/process/pid_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <optional>

#include "resr/pending_file.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

fs::path address_path(const fs::path& pid_path) { return pid_path.string() + ".address"; }

// The PID file's exact format: a PID above 1 in decimal, one newline. Any
// other content is a file this program did not write (never removed).
std::optional<pid_t> parse_pid_text(const std::string& text) {
  if (text.size() < 2 || text.size() > 11 || text.back() != '\n' || text[0] == '0') {
    return std::nullopt;
  }
  pid_t pid = 0;
  const char* end = text.data() + text.size() - 1;
  const auto [ptr, ec] = std::from_chars(text.data(), end, pid);
  if (ec != std::errc() || ptr != end || pid <= 1) return std::nullopt;
  return pid;
}

std::optional<pid_t> read_pid(int fd) {
  char text[16] = {};
  const ssize_t n = pread(fd, text, sizeof text, 0);
  if (n <= 0) return std::nullopt;
  return parse_pid_text(std::string(text, static_cast<size_t>(n)));
}

std::string not_a_pid_file(const fs::path& path) {
  return path.string() +
         " is not a PID file of real-esrgan-serve (it holds something else); it was left "
         "untouched: choose another --pid-file";
}

std::string executable_of(const std::string& proc) {
  std::error_code ec;
  std::string exe = fs::read_symlink(proc + "/exe", ec).string();
  const std::string deleted = " (deleted)";  // the binary was replaced since it started
  if (exe.ends_with(deleted)) exe.resize(exe.size() - deleted.size());
  return ec ? std::string() : exe;
}

// Whether `pid` runs this program's executable (a recycled PID, or a file
// naming another process, does not).
bool is_this_program(pid_t pid) {
  const std::string theirs = executable_of("/proc/" + std::to_string(pid));
  return !theirs.empty() && theirs == executable_of("/proc/self");
}

}  // namespace

Result<PidFile> PidFile::acquire(const fs::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  // O_EXCL first: a new file is ours; an existing one must prove it is.
  bool created = true;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return error(ErrorCode::kIoError, "cannot open the PID file " + path.string());
  const std::optional<pid_t> other = read_pid(fd);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return error(ErrorCode::kUnavailable, "a server is already running (PID " +
                                              std::to_string(other.value_or(0)) + ", PID file " +
                                              path.string() +
                                              "); stop it with `real-esrgan-serve server stop`");
  }
  if (!created && !other) {
    ::close(fd);
    return error(ErrorCode::kInvalidArgument, not_a_pid_file(path));
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
  RESR_ASSIGN_OR_RETURN(auto file, PendingFile::create(address_path(path_)));
  RESR_RETURN_IF_ERROR(file->write(host + ":" + std::to_string(port) + "\n"));
  return file->commit();
}

ServerProcess probe_pid_file(const fs::path& path) {
  ServerProcess process;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return process;
  const std::optional<pid_t> pid = read_pid(fd);
  const bool locked = flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);
  if (!pid) {
    process.refusal = not_a_pid_file(path);
    return process;
  }
  process.pid = *pid;
  if (!locked) {
    // Nobody holds the lock: the server that wrote it is gone.
    process.stale = true;
    std::error_code ignored;
    fs::remove(address_path(path), ignored);
    fs::remove(path, ignored);
  } else if (!is_this_program(*pid)) {
    process.refusal = "PID " + std::to_string(*pid) + " in " + path.string() +
                      " is not a real-esrgan-serve server; nothing was signalled or removed";
  } else {
    process.running = true;
    std::ifstream address(address_path(path));
    std::getline(address, process.address);
  }
  return process;
}

}  // namespace resr
