// A value's memory during a run: a C x H x W activation, nchw or nChw16c,
// fp32 or bf16. A value placed at a block-aligned channel offset of a larger
// buffer is itself a dense tensor starting further into that buffer, so a view
// never needs to know about the buffer around it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "backend/cpu/execution_plan.hpp"

namespace resr::cpu {

enum class ElementType { kF32, kBf16 };

inline size_t element_size(ElementType type) { return type == ElementType::kF32 ? 4 : 2; }

// bf16 is the upper half of an fp32; conversion rounds to nearest even.
inline float bf16_to_float(uint16_t v) {
  const uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline uint16_t float_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

struct ActivationView {
  void* data = nullptr;
  Layout layout = Layout::kPlain;
  ElementType type = ElementType::kF32;
  int channels = 0;
  int64_t height = 0;
  int64_t width = 0;

  int64_t padded() const { return padded_channels(layout, channels); }
  int64_t elements() const { return padded() * height * width; }
  size_t bytes() const { return static_cast<size_t>(elements()) * element_size(type); }
  // Element index of (c, y, x).
  int64_t index(int64_t c, int64_t y, int64_t x) const {
    if (layout == Layout::kPlain) return (c * height + y) * width + x;
    return ((c / kChannelBlock * height + y) * width + x) * kChannelBlock + c % kChannelBlock;
  }
  bool same_geometry(const ActivationView& o) const {
    return layout == o.layout && type == o.type && channels == o.channels && height == o.height &&
           width == o.width;
  }
};

}  // namespace resr::cpu
