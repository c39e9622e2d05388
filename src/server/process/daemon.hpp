// Detaching `server start --daemon` from its terminal: fork, setsid, fork
// again, stdin from /dev/null, stdout and stderr appended to a log file. The
// original process waits until the detached one reports that it serves (or
// why it could not) and exits with that outcome, so a failed start is never
// silent.
#pragma once

#include <filesystem>
#include <string>

#include "resr/status.hpp"

namespace resr {

// In the detached process: tells the waiting parent how the start went.
class DaemonReporter {
 public:
  explicit DaemonReporter(int fd) : fd_(fd) {}
  DaemonReporter(DaemonReporter&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DaemonReporter& operator=(DaemonReporter&&) = delete;
  ~DaemonReporter();
  // An empty message means it serves; the parent prints `message` and exits 0.
  void started(const std::string& message);
  void failed(const Status& status);

 private:
  int fd_;
};

// Call before any thread starts. Returns only in the detached process; the
// original process exits there (0 when the server started, else its error's
// exit code). Errors: kIoError when the log file cannot be opened.
Result<DaemonReporter> daemonize(const std::filesystem::path& log_file);

}  // namespace resr
