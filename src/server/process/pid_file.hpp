// The PID file of a running server. The server holds an exclusive lock on it
// for its whole life, so a file left by a killed server (stale) is told apart
// from a live one by the lock, not by guessing whether the PID was reused.
// Beside it, `<pid file>.address` holds host:port for `server status`.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "resr/status.hpp"

namespace resr {

class PidFile {
 public:
  // Locks and writes the file (creating its folder). An existing file is
  // taken only when it has the PID file's exact format ("<PID>\n"). Errors:
  // kUnavailable when a live server holds it (its PID in the message),
  // kInvalidArgument when it is some other file (left untouched), kIoError.
  static Result<PidFile> acquire(const std::filesystem::path& path);
  PidFile(PidFile&& other) noexcept;
  PidFile& operator=(PidFile&&) = delete;
  ~PidFile();  // removes the files and releases the lock

  Status write_address(const std::string& host, int port);

 private:
  PidFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::filesystem::path path_;
  int fd_ = -1;
};

struct ServerProcess {
  bool running = false;
  bool stale = false;  // a file without a live server (removed by probe_pid_file)
  pid_t pid = 0;
  std::string address;  // host:port, when known
  // Why the file is not to be acted on: not in the PID file's format, or the
  // live process holding it is not this program. Nothing was removed.
  std::string refusal;
};

// What the PID file says; removes a stale one (only when in the PID file's
// format and unlocked).
ServerProcess probe_pid_file(const std::filesystem::path& path);

}  // namespace resr
