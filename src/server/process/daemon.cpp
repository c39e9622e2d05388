#include "server/process/daemon.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace resr {

namespace {

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// The parent's side: "0 message" or "<exit code> message" from the daemon.
[[noreturn]] void wait_for_report(int fd) {
  std::string report;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) report.append(buffer, static_cast<size_t>(n));
  if (report.empty()) {
    std::fprintf(stderr, "error: the server exited while starting; see its log file\n");
    std::_Exit(1);
  }
  const int code = std::atoi(report.c_str());
  const std::string message = report.substr(report.find(' ') + 1);
  std::fprintf(code == 0 ? stdout : stderr, "%s%s\n", code == 0 ? "" : "error: ", message.c_str());
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace

DaemonReporter::~DaemonReporter() {
  if (fd_ >= 0) ::close(fd_);
}

void DaemonReporter::started(const std::string& message) {
  if (fd_ < 0) return;
  write_all(fd_, "0 " + message);
  ::close(fd_);
  fd_ = -1;
}

void DaemonReporter::failed(const Status& status) {
  if (fd_ < 0) return;
  write_all(fd_, std::to_string(exit_code_for(status.code())) + " " + status.message());
  ::close(fd_);
  fd_ = -1;
}

Result<DaemonReporter> daemonize(const std::filesystem::path& log_file) {
  if (log_file.has_parent_path()) {
    std::error_code ignored;
    std::filesystem::create_directories(log_file.parent_path(), ignored);
  }
  const int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return error(ErrorCode::kIoError, "cannot open the log file " + log_file.string());
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return error(ErrorCode::kIoError, "cannot create a pipe");
  std::fflush(nullptr);
  const pid_t first = fork();
  if (first < 0) return error(ErrorCode::kUnavailable, "cannot fork");
  if (first > 0) {
    ::close(report[1]);
    ::close(log);
    int ignored;
    waitpid(first, &ignored, 0);
    wait_for_report(report[0]);
  }
  ::close(report[0]);
  setsid();
  // The session leader exits so the daemon can never reacquire a terminal.
  if (fork() != 0) std::_Exit(0);
  const int null = ::open("/dev/null", O_RDONLY);
  dup2(null, STDIN_FILENO);
  dup2(log, STDOUT_FILENO);
  dup2(log, STDERR_FILENO);
  ::close(null);
  ::close(log);
  return DaemonReporter(report[1]);
}

}  // namespace resr
