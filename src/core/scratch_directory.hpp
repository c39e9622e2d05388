// A fresh private directory under $TMPDIR, removed with its contents when the
// object goes away: downloads, test fixtures, anything that must not linger.
#pragma once

#include <filesystem>
#include <string>

#include "resr/status.hpp"

namespace resr {

class ScratchDirectory {
 public:
  // `prefix` starts the directory name, e.g. "resr-fetch" -> /tmp/resr-fetch-Ab12Cd.
  static Result<ScratchDirectory> create(const std::string& prefix);

  ScratchDirectory(ScratchDirectory&& other) noexcept;
  ScratchDirectory& operator=(ScratchDirectory&&) = delete;
  ScratchDirectory(const ScratchDirectory&) = delete;
  ~ScratchDirectory();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit ScratchDirectory(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace resr
