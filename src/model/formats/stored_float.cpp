#include "model/formats/stored_float.hpp"

#include <bit>
#include <cstring>

#include "core/float16.hpp"
#include "core/little_endian.hpp"

namespace resr {

namespace {

template <typename Stored, typename Widen>
void widen(const uint8_t* src, size_t count, size_t stride, float* dst, Widen widen_one) {
  const size_t step = stride * sizeof(Stored);
  for (size_t i = 0; i < count; ++i) dst[i] = widen_one(load_little_endian<Stored>(src + i * step));
}

}  // namespace

size_t stored_float_size(StoredFloat type) {
  switch (type) {
    case StoredFloat::kFloat32:
      return 4;
    case StoredFloat::kFloat16:
    case StoredFloat::kBFloat16:
      return 2;
    case StoredFloat::kFloat64:
      return 8;
  }
  return 0;
}

void widen_to_float(StoredFloat type, const uint8_t* src, size_t count, size_t stride, float* dst) {
  if (count == 0) return;
  switch (type) {
    case StoredFloat::kFloat32:
      if (stride == 1) {
        std::memcpy(dst, src, count * sizeof(float));
      } else {
        widen<float>(src, count, stride, dst, [](float v) { return v; });
      }
      return;
    case StoredFloat::kFloat16:
      widen<uint16_t>(src, count, stride, dst, float16_to_float);
      return;
    case StoredFloat::kBFloat16:
      // bfloat16 is the upper half of a float.
      widen<uint16_t>(src, count, stride, dst, [](uint16_t bits) {
        return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
      });
      return;
    case StoredFloat::kFloat64:
      widen<double>(src, count, stride, dst, [](double v) { return static_cast<float>(v); });
      return;
  }
}

}  // namespace resr
