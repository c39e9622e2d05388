// Every path this program reads is opened here: only a regular file is read.
// A FIFO would block open() or read() forever (ignoring SIGINT, as the issue
// found), a device or socket never ends; so the file is opened without
// blocking, checked with fstat, and only then read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "resr/status.hpp"

namespace resr {

class RegularFile {
 public:
  // `what` names the file in errors ("model file", "engine file"...).
  // kNotFound (missing), kInvalidArgument (a directory, FIFO, device or
  // socket), kIoError (cannot open or stat it).
  static Result<RegularFile> open(const std::filesystem::path& path, const std::string& what);

  RegularFile(RegularFile&& other) noexcept;
  RegularFile& operator=(RegularFile&& other) noexcept;
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;
  ~RegularFile();

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  // Exactly bytes.size() bytes at `offset`; kIoError naming `what` otherwise.
  Status read_at(uint64_t offset, std::span<uint8_t> bytes) const;

 private:
  RegularFile(int fd, uint64_t size, std::string what)
      : fd_(fd), size_(size), what_(std::move(what)) {}
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string what_;
};

}  // namespace resr
