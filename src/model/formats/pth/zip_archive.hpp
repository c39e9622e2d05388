// A zip archive held in memory: its central directory, and the bytes of its
// stored or deflated entries. Enough for PyTorch checkpoints (which always end
// with zip64 records); refuses encryption, multi-disk archives and compression
// methods other than deflate.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resr/status.hpp"

namespace resr {

struct ZipEntry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

// An entry's content: a view of the archive's bytes when stored, an inflated
// copy when deflated. Move-only: the view may point into the owned copy.
class ZipEntryBytes {
 public:
  explicit ZipEntryBytes(std::span<const uint8_t> view) : view_(view) {}
  explicit ZipEntryBytes(std::vector<uint8_t> inflated)
      : inflated_(std::move(inflated)), view_(inflated_) {}
  // Moving a vector keeps its buffer, so view_ stays valid.
  ZipEntryBytes(ZipEntryBytes&&) = default;
  ZipEntryBytes& operator=(ZipEntryBytes&&) = default;
  ZipEntryBytes(const ZipEntryBytes&) = delete;
  ZipEntryBytes& operator=(const ZipEntryBytes&) = delete;

  std::span<const uint8_t> bytes() const { return view_; }

 private:
  std::vector<uint8_t> inflated_;
  std::span<const uint8_t> view_;
};

class ZipArchive {
 public:
  // All deflated entries of one archive together may inflate to at most this.
  static constexpr uint64_t kMaxInflatedBytes = uint64_t{2} << 30;

  // Reads the central directory. `bytes` must outlive the archive and every
  // view read from it. Errors say what is wrong, without naming the file.
  static Result<ZipArchive> open(std::span<const uint8_t> bytes);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  // The entry with exactly this name, or nullptr.
  const ZipEntry* find(std::string_view name) const;
  // The entry's content, CRC-checked.
  Result<ZipEntryBytes> read(const ZipEntry& entry);

 private:
  explicit ZipArchive(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  Status read_central_directory();

  std::span<const uint8_t> bytes_;
  std::vector<ZipEntry> entries_;
  uint64_t inflated_bytes_ = 0;
};

}  // namespace resr
