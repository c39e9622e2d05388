#include "core/scratch_directory.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace resr {

Result<ScratchDirectory> ScratchDirectory::create(const std::string& prefix) {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    const int err = errno;
    return error(ErrorCode::kIoError, "cannot create a temporary directory " + pattern + ": " +
                                          std::strerror(err) + " (check $TMPDIR)");
  }
  return ScratchDirectory(pattern);
}

ScratchDirectory::ScratchDirectory(ScratchDirectory&& other) noexcept
    : path_(std::move(other.path_)) {
  other.path_.clear();
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace resr
