// Large crafted files that cost no disk: `head` written, then the file
// extended with a hole (ftruncate) to `total` bytes, as `truncate -s` does.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace resr::testing {

inline bool write_sparse_file(const std::filesystem::path& path, const std::string& head,
                              uint64_t total) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool ok = ::write(fd, head.data(), head.size()) == static_cast<ssize_t>(head.size()) &&
                  ::ftruncate(fd, static_cast<off_t>(total)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace resr::testing
