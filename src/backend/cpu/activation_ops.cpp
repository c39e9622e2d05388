#include "backend/cpu/activation_ops.hpp"

#include <cstring>
#include <type_traits>

namespace resr::cpu {

namespace {

// A view with its element type and layout fixed at compile time, so the
// per-element index arithmetic and conversions inline into the loops.
template <typename T, Layout L>
struct Typed {
  T* data;
  int64_t height;
  int64_t width;

  int64_t index(int64_t c, int64_t y, int64_t x) const {
    if constexpr (L == Layout::kPlain) {
      return (c * height + y) * width + x;
    } else {
      return ((c / kChannelBlock * height + y) * width + x) * kChannelBlock + c % kChannelBlock;
    }
  }
  float get(int64_t c, int64_t y, int64_t x) const {
    if constexpr (std::is_same_v<T, float>) {
      return data[index(c, y, x)];
    } else {
      return bf16_to_float(data[index(c, y, x)]);
    }
  }
  void set(int64_t c, int64_t y, int64_t x, float v) const {
    if constexpr (std::is_same_v<T, float>) {
      data[index(c, y, x)] = v;
    } else {
      data[index(c, y, x)] = float_to_bf16(v);
    }
  }
};

// Calls f with the Typed form of `v`.
template <typename F>
void visit(const ActivationView& v, F&& f) {
  const bool bf16 = v.type == ElementType::kBf16;
  if (v.layout == Layout::kPlain) {
    if (bf16) {
      f(Typed<uint16_t, Layout::kPlain>{static_cast<uint16_t*>(v.data), v.height, v.width});
    } else {
      f(Typed<float, Layout::kPlain>{static_cast<float*>(v.data), v.height, v.width});
    }
  } else if (bf16) {
    f(Typed<uint16_t, Layout::kBlocked>{static_cast<uint16_t*>(v.data), v.height, v.width});
  } else {
    f(Typed<float, Layout::kBlocked>{static_cast<float*>(v.data), v.height, v.width});
  }
}

// out(c + channel_offset, y, x) = value(c, y, x) for c < channels, over out's extent.
template <typename Out, typename Fn>
void fill(const Out& out, int channels, int channel_offset, Fn&& value) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < channels; ++c) {
    for (int64_t y = 0; y < out.height; ++y) {
      for (int64_t x = 0; x < out.width; ++x) out.set(c + channel_offset, y, x, value(c, y, x));
    }
  }
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
  visit(src, [&](auto in) {
    visit(dst, [&](auto out) {
      fill(out, src.channels, dst_offset,
           [&](int64_t c, int64_t y, int64_t x) { return in.get(c, y, x); });
    });
  });
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
  visit(a, [&](auto ta) {
    visit(b, [&](auto tb) {
      visit(out, [&](auto to) {
        fill(to, out.channels, 0, [&](int64_t c, int64_t y, int64_t x) {
          return alpha * ta.get(c, y, x) + beta * tb.get(c, y, x);
        });
      });
    });
  });
  zero_channel_padding(out);
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
  visit(in, [&](auto src) {
    visit(out, [&](auto dst) {
      fill(dst, out.channels, 0,
           [&](int64_t c, int64_t y, int64_t x) { return src.get(c, y / factor, x / factor); });
    });
  });
  zero_channel_padding(out);
}

// PyTorch order: out channel c, sub-pixel (i, j) comes from in channel (c * f + i) * f + j.
void pixel_shuffle(const ActivationView& in, int factor, const ActivationView& out) {
  visit(in, [&](auto src) {
    visit(out, [&](auto dst) {
      fill(dst, out.channels, 0, [&](int64_t c, int64_t y, int64_t x) {
        return src.get((c * factor + y % factor) * factor + x % factor, y / factor, x / factor);
      });
    });
  });
  zero_channel_padding(out);
}

void pixel_unshuffle(const ActivationView& in, int factor, const ActivationView& out) {
  const int64_t f2 = static_cast<int64_t>(factor) * factor;
  visit(in, [&](auto src) {
    visit(out, [&](auto dst) {
      fill(dst, out.channels, 0, [&](int64_t c, int64_t y, int64_t x) {
        const int64_t sub = c % f2;
        return src.get(c / f2, y * factor + sub / factor, x * factor + sub % factor);
      });
    });
  });
  zero_channel_padding(out);
}

}  // namespace resr::cpu
