#include "backend/cpu/activation_ops.hpp"

#include <cstring>

namespace resr::cpu {

namespace {

// out(c, y, x) = value(c, y, x) over every real element of `out`.
template <typename Fn>
void fill_from(const ActivationView& out, Fn&& value) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < out.channels; ++c) {
    for (int64_t y = 0; y < out.height; ++y) {
      for (int64_t x = 0; x < out.width; ++x) out.set(c, y, x, value(c, y, x));
    }
  }
  zero_channel_padding(out);
}

char* byte_ptr(const ActivationView& v) { return static_cast<char*>(v.data); }

}  // namespace

void zero_channel_padding(const ActivationView& view) {
  if (view.layout != Layout::kBlocked || view.channels % kChannelBlock == 0) return;
  const int64_t first = view.channels % kChannelBlock;
  const size_t es = element_size(view.type);
  const int64_t pixels = view.height * view.width;
  char* last_block = byte_ptr(view) + (view.padded() - kChannelBlock) * pixels * es;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < pixels; ++p) {
    std::memset(last_block + (p * kChannelBlock + first) * es, 0, (kChannelBlock - first) * es);
  }
}

void copy_channels(const ActivationView& src, const ActivationView& dst, int dst_offset) {
  const bool contiguous = src.layout == dst.layout && src.type == dst.type &&
                          (src.layout == Layout::kPlain || dst_offset % kChannelBlock == 0);
  if (contiguous) {
    // The source's own padding (zeros) lands on channels a later copy overwrites.
    std::memcpy(byte_ptr(dst) + dst.index(dst_offset, 0, 0) * element_size(dst.type), src.data,
                src.bytes());
    return;
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < src.channels; ++c) {
    for (int64_t y = 0; y < src.height; ++y) {
      for (int64_t x = 0; x < src.width; ++x) dst.set(c + dst_offset, y, x, src.get(c, y, x));
    }
  }
}

void add(const ActivationView& a, const ActivationView& b, float alpha, float beta,
         const ActivationView& out) {
  if (a.same_geometry(out) && b.same_geometry(out) && out.type == ElementType::kF32) {
    // Padding lanes compute alpha * 0 + beta * 0 = 0.
    const float* pa = static_cast<const float*>(a.data);
    const float* pb = static_cast<const float*>(b.data);
    float* po = static_cast<float*>(out.data);
    const int64_t n = out.elements();
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) po[i] = alpha * pa[i] + beta * pb[i];
    return;
  }
  fill_from(out, [&](int64_t c, int64_t y, int64_t x) {
    return alpha * a.get(c, y, x) + beta * b.get(c, y, x);
  });
}

void upsample_nearest(const ActivationView& in, int factor, const ActivationView& out) {
  if (in.layout == Layout::kBlocked && out.layout == Layout::kBlocked && in.type == out.type) {
    // Whole 16-channel pixels move at once, padding included.
    const size_t pixel_bytes = kChannelBlock * element_size(in.type);
    const int64_t blocks = out.padded() / kChannelBlock;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t cb = 0; cb < blocks; ++cb) {
      for (int64_t y = 0; y < out.height; ++y) {
        const char* src = byte_ptr(in) + (cb * in.height + y / factor) * in.width * pixel_bytes;
        char* dst = byte_ptr(out) + (cb * out.height + y) * out.width * pixel_bytes;
        for (int64_t x = 0; x < out.width; ++x) {
          std::memcpy(dst + x * pixel_bytes, src + (x / factor) * pixel_bytes, pixel_bytes);
        }
      }
    }
    return;
  }
  fill_from(out,
            [&](int64_t c, int64_t y, int64_t x) { return in.get(c, y / factor, x / factor); });
}

// PyTorch order: out channel c, sub-pixel (i, j) comes from in channel (c * f + i) * f + j.
void pixel_shuffle(const ActivationView& in, int factor, const ActivationView& out) {
  fill_from(out, [&](int64_t c, int64_t y, int64_t x) {
    return in.get((c * factor + y % factor) * factor + x % factor, y / factor, x / factor);
  });
}

void pixel_unshuffle(const ActivationView& in, int factor, const ActivationView& out) {
  const int64_t f2 = static_cast<int64_t>(factor) * factor;
  fill_from(out, [&](int64_t c, int64_t y, int64_t x) {
    const int64_t sub = c % f2;
    return in.get(c / f2, y * factor + sub / factor, x * factor + sub % factor);
  });
}

}  // namespace resr::cpu
