#include "core/pending_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

namespace resr {

namespace {

constexpr std::string_view kPartialSuffix = ".partial";

std::string errno_text(int err) { return std::strerror(err); }

std::filesystem::path folder_of(const std::filesystem::path& file) {
  return file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
}

Status sync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  int err = fd < 0 || ::fsync(fd) != 0 ? errno : 0;
  if (fd >= 0) ::close(fd);
  if (err != 0) {
    return error(ErrorCode::kIoError, "cannot sync " + path.string() + ": " + errno_text(err));
  }
  return Status::ok();
}

}  // namespace

PendingFile::PendingFile(std::filesystem::path temp, std::filesystem::path destination, int fd)
    : temp_(std::move(temp)), destination_(std::move(destination)), fd_(fd) {}

PendingFile::~PendingFile() {
  if (!committed_) ::unlink(temp_.c_str());  // before the lock goes with the descriptor
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<PendingFile>> PendingFile::create(const std::filesystem::path& destination) {
  // Hidden, unique, and in the same directory so that rename() is atomic.
  const std::string name =
      "." + destination.filename().string() + ".XXXXXX" + std::string(kPartialSuffix);
  const std::filesystem::path folder = folder_of(destination);
  std::string pattern = (folder / name).string();
  const int fd = ::mkostemps(pattern.data(), static_cast<int>(kPartialSuffix.size()), O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    // Named by its destination: that is the path the user gave.
    return error(ErrorCode::kIoError, "cannot write " + destination.string() +
                                          ": cannot create a temporary file in " + folder.string() +
                                          ": " + errno_text(err));
  }
  ::fchmod(fd, 0644);    // mkostemp creates 0600; outputs are meant to be shared
  ::flock(fd, LOCK_EX);  // a new file: the lock is ours at once
  return std::make_unique<PendingFile>(pattern, destination, fd);
}

Result<std::unique_ptr<PendingFile>> PendingFile::create_for_path(
    const std::filesystem::path& destination) {
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<PendingFile> file, create(destination));
  file->by_path_ = true;  // fd_ stays open only to hold the lock
  return file;
}

Status PendingFile::write(const std::string& bytes) {
  return write(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
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
  if (!by_path_) {
    if (fd_ >= 0) RESR_RETURN_IF_ERROR(finish_writing());
  } else {
    // Written by path: its writer closed it, so it is synced from a new descriptor.
    RESR_RETURN_IF_ERROR(sync_path(temp_, O_RDONLY));
  }
  if (::rename(temp_.c_str(), destination_.c_str()) != 0) {
    const int err = errno;
    return error(ErrorCode::kIoError, "cannot rename " + temp_.string() + " to " +
                                          destination_.string() + ": " + errno_text(err));
  }
  committed_ = true;
  // The rename is durable only once the folder's entry is.
  return sync_path(folder_of(destination_), O_RDONLY | O_DIRECTORY);
}

bool is_partial_name(const std::string& name) {
  const size_t random = 6;  // mkostemps' XXXXXX
  const size_t suffix = kPartialSuffix.size();
  return name.size() > 1 + random + 1 + suffix && name[0] == '.' &&
         name.compare(name.size() - suffix, suffix, kPartialSuffix) == 0 &&
         name[name.size() - suffix - random - 1] == '.';
}

namespace {

// Whether `path` is a partial file no live writer holds and none has touched
// for `min_age`; it is unlinked while its lock is held, so no writer can take
// it in between.
bool remove_if_stale(const std::filesystem::path& path, std::chrono::seconds min_age) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  const bool old_file = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                        ::time(nullptr) - st.st_mtime >= min_age.count();
  const bool removed =
      old_file && ::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::unlink(path.c_str()) == 0;
  ::close(fd);
  return removed;
}

}  // namespace

int remove_stale_partial_files(const std::filesystem::path& folder, std::chrono::seconds min_age) {
  std::error_code ec;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (is_partial_name(entry.path().filename().string()) && remove_if_stale(entry.path(), min_age))
      ++removed;
  }
  return removed;
}

}  // namespace resr
