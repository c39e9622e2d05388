#include "core/pending_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace resr {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

PendingFile::PendingFile(std::filesystem::path temp, std::filesystem::path destination, int fd)
    : temp_(std::move(temp)), destination_(std::move(destination)), fd_(fd) {}

PendingFile::~PendingFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

Result<std::unique_ptr<PendingFile>> PendingFile::create(const std::filesystem::path& destination) {
  // Hidden, unique, and in the same directory so that rename() is atomic.
  std::string name = ".";
  name += destination.filename().string();
  name += ".XXXXXX";
  const std::filesystem::path folder =
      destination.parent_path().empty() ? std::filesystem::path(".") : destination.parent_path();
  std::string pattern = (folder / name).string();
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return error(ErrorCode::kIoError,
                 "cannot create a temporary file in " + folder.string() + ": " + errno_text(err));
  }
  ::fchmod(fd, 0644);  // mkostemp creates 0600; outputs are meant to be shared
  return std::make_unique<PendingFile>(pattern, destination, fd);
}

Status PendingFile::write(std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      return error(ErrorCode::kIoError, "cannot write " + temp_.string() + ": " + errno_text(err));
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return Status::ok();
}

Status PendingFile::finish_writing() {
  int err = ::fsync(fd_) == 0 ? 0 : errno;
  if (::close(fd_) != 0 && err == 0) err = errno;
  fd_ = -1;
  if (err != 0) {
    return error(ErrorCode::kIoError, "cannot write " + temp_.string() + ": " + errno_text(err));
  }
  return Status::ok();
}

Status PendingFile::commit() {
  if (::rename(temp_.c_str(), destination_.c_str()) != 0) {
    const int err = errno;
    return error(ErrorCode::kIoError, "cannot rename " + temp_.string() + " to " +
                                          destination_.string() + ": " + errno_text(err));
  }
  committed_ = true;
  return Status::ok();
}

}  // namespace resr
