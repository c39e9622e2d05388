// The floating-point element types checkpoint files store (little-endian) and
// their widening to the float tensors the rest of the program uses.
#pragma once

#include <cstddef>
#include <cstdint>

namespace resr {

enum class StoredFloat { kFloat32, kFloat16, kBFloat16, kFloat64 };

size_t stored_float_size(StoredFloat type);

// Widens `count` elements, the first at `src` and each next one `stride`
// elements further, into dst[0..count). Non-finite values pass through.
void widen_to_float(StoredFloat type, const uint8_t* src, size_t count, size_t stride, float* dst);

}  // namespace resr
