// A file written under a hidden temporary name beside its destination and
// renamed into place only when complete and synced, so a reader never sees a
// partial file under the final name. Deleted if never committed.
//
//   RESR_ASSIGN_OR_RETURN(auto file, PendingFile::create("model.engine"));
//   RESR_RETURN_IF_ERROR(file->write(bytes));
//   RESR_RETURN_IF_ERROR(file->finish_writing());
//   RESR_RETURN_IF_ERROR(file->commit());
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "resr/status.hpp"

namespace resr {

class PendingFile {
 public:
  PendingFile(std::filesystem::path temp, std::filesystem::path destination, int fd);
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  ~PendingFile();

  static Result<std::unique_ptr<PendingFile>> create(const std::filesystem::path& destination);

  Status write(std::span<const uint8_t> bytes);
  // Makes the bytes durable before the rename publishes them.
  Status finish_writing();
  Status commit();

  const std::filesystem::path& destination() const { return destination_; }

 private:
  std::filesystem::path temp_;
  std::filesystem::path destination_;
  int fd_;
  bool committed_ = false;
};

}  // namespace resr
