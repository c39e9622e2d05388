#include "backend/packed_blobs.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <unordered_set>

namespace resr {

namespace {

uint64_t aligned(uint64_t n) {
  return (n + PackedBlobs::kAlignment - 1) / PackedBlobs::kAlignment * PackedBlobs::kAlignment;
}

}  // namespace

PackedBlobs::PackedBlobs() : storage_(allocate(0)) {}

std::shared_ptr<std::byte[]> PackedBlobs::allocate(uint64_t size) {
  void* p = std::aligned_alloc(kAlignment, std::max<uint64_t>(aligned(size), kAlignment));
  if (p == nullptr) throw std::bad_alloc();
  return std::shared_ptr<std::byte[]>(static_cast<std::byte*>(p),
                                      [](std::byte* b) { std::free(b); });
}

Result<PackedBlobs> PackedBlobs::from_bytes(std::shared_ptr<std::byte[]> bytes, uint64_t size,
                                            std::vector<Entry> entries) {
  std::unordered_set<std::string> names;
  for (const Entry& e : entries) {
    if (e.offset % kAlignment != 0 || e.offset > size || e.size > size - e.offset ||
        !names.insert(e.name).second) {
      return error(ErrorCode::kInvalidModel,
                   "packed blob '" + e.name + "' (offset " + std::to_string(e.offset) + ", " +
                       std::to_string(e.size) +
                       " bytes) is misplaced or repeated in a payload of " + std::to_string(size) +
                       " bytes");
    }
  }
  PackedBlobs blobs;
  blobs.storage_ = std::move(bytes);
  blobs.size_ = blobs.capacity_ = size;
  blobs.entries_ = std::move(entries);
  return blobs;
}

void PackedBlobs::add(const std::string& name, std::span<const std::byte> bytes) {
  const uint64_t offset = aligned(size_);
  const uint64_t end = offset + bytes.size();
  if (end > capacity_) {
    const uint64_t capacity = std::max(end, capacity_ * 2);
    std::shared_ptr<std::byte[]> grown = allocate(capacity);
    std::memcpy(grown.get(), storage_.get(), size_);
    storage_ = std::move(grown);
    capacity_ = capacity;
  }
  std::memset(storage_.get() + size_, 0, offset - size_);
  if (!bytes.empty()) std::memcpy(storage_.get() + offset, bytes.data(), bytes.size());
  size_ = end;
  entries_.push_back({name, offset, bytes.size()});
}

Result<std::span<const std::byte>> PackedBlobs::find(const std::string& name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return std::span<const std::byte>(storage_.get() + e.offset, e.size);
  }
  return error(ErrorCode::kInvalidModel, "the packed weights lack blob '" + name + "'");
}

}  // namespace resr
