// Reads little-endian integers from unaligned bytes. Callers check bounds first.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace resr {

static_assert(std::endian::native == std::endian::little,
              "file formats read here are little-endian; a big-endian host needs byte swaps");

template <typename T>
T load_little_endian(const uint8_t* p) {
  static_assert(std::is_trivially_copyable_v<T>);
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

}  // namespace resr
