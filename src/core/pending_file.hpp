// The one way this program publishes a file a user sees (outputs, results,
// engines, ONNX exports, video segments and manifests, models): written under
// a hidden temporary name beside its destination, synced, renamed into place
// and the folder synced, so a reader never sees a partial file under the final
// name and a crash after commit() loses nothing. Deleted if never committed.
// Temporary names are ".NAME.XXXXXX.partial" (is_partial_name).
//
//   RESR_ASSIGN_OR_RETURN(auto file, PendingFile::create("model.engine"));
//   RESR_RETURN_IF_ERROR(file->write(bytes));
//   RESR_RETURN_IF_ERROR(file->commit());
//
// A writer that takes a path (libvips, libav, protobuf streams) writes to
// temp_path() of a file made with create_for_path, then commits it.
//
// A temporary file is locked (flock) for as long as its PendingFile lives, so
// remove_stale_partial_files tells one a live writer holds from one left by a
// killed run.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "resr/status.hpp"

namespace resr {

class PendingFile {
 public:
  PendingFile(std::filesystem::path temp, std::filesystem::path destination, int fd);
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  ~PendingFile();

  // Open for write().
  static Result<std::unique_ptr<PendingFile>> create(const std::filesystem::path& destination);
  // Created empty and closed: the caller's writer opens temp_path() itself.
  static Result<std::unique_ptr<PendingFile>> create_for_path(
      const std::filesystem::path& destination);

  Status write(std::span<const uint8_t> bytes);
  Status write(const std::string& bytes);
  // Makes the bytes durable before the rename publishes them (commit() calls
  // it when the caller has not).
  Status finish_writing();
  // Syncs the file, renames it to its destination, syncs the folder.
  Status commit();

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& destination() const { return destination_; }

 private:
  std::filesystem::path temp_;
  std::filesystem::path destination_;
  int fd_;                // open (and locked) until commit or destruction
  bool by_path_ = false;  // written through temp_path() by the caller's writer
  bool committed_ = false;
};

// Whether `name` (a file name, no folder) is a PendingFile's temporary name.
bool is_partial_name(const std::string& name);

// Removes the partial files in `folder` (not below it) that a killed run
// left: regular files with a partial name, not locked by a live PendingFile
// and unmodified for `min_age` (a file just made, not yet locked, is spared).
// Returns how many it removed; a folder that cannot be read removes none.
int remove_stale_partial_files(const std::filesystem::path& folder,
                               std::chrono::seconds min_age = std::chrono::seconds(5));

}  // namespace resr
