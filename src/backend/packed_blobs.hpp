// Named byte blobs a backend packs a compiled model into (for an engine file)
// and compiles from again without converting anything. Every blob starts on a
// 64-byte boundary of one shared buffer, so a backend may run from the loaded
// bytes in place; `storage()` keeps that buffer alive for as long as it does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "resr/status.hpp"

namespace resr {

class PackedBlobs {
 public:
  static constexpr size_t kAlignment = 64;

  struct Entry {
    std::string name;
    uint64_t offset = 0;  // into bytes(), a multiple of kAlignment
    uint64_t size = 0;
  };

  PackedBlobs();
  // Blobs over `size` loaded bytes (aligned to kAlignment) described by `entries`;
  // kInvalidModel when an entry is misaligned, overlaps the end or repeats a name.
  static Result<PackedBlobs> from_bytes(std::shared_ptr<std::byte[]> bytes, uint64_t size,
                                        std::vector<Entry> entries);
  // An empty, aligned buffer of `size` bytes to read a payload into.
  static std::shared_ptr<std::byte[]> allocate(uint64_t size);

  // Appends a copy of `bytes` under `name` (unique).
  void add(const std::string& name, std::span<const std::byte> bytes);
  // kInvalidModel naming the blob when it is absent.
  Result<std::span<const std::byte>> find(const std::string& name) const;

  const std::vector<Entry>& entries() const { return entries_; }
  std::span<const std::byte> bytes() const { return {storage_.get(), size_}; }
  const std::shared_ptr<std::byte[]>& storage() const { return storage_; }

 private:
  std::shared_ptr<std::byte[]> storage_;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace resr
