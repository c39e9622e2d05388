#include "backend/reference/reference_ops.hpp"

#include <algorithm>

namespace resr::reference {

namespace {

float activate(float v, const ConvLayer& layer, int channel) {
  switch (layer.activation) {
    case Activation::kNone:
      return v;
    case Activation::kRelu:
      return v > 0 ? v : 0.0f;
    case Activation::kLeakyRelu:
      return v > 0 ? v : v * layer.negative_slope;
    case Activation::kPRelu:
      return v > 0 ? v : v * layer.prelu_slopes[channel];
  }
  return v;
}

}  // namespace

Tensor conv2d(const std::vector<const Tensor*>& inputs, const ConvLayer& layer) {
  const int64_t h = inputs[0]->height(), w = inputs[0]->width();
  const int k = layer.kernel, pad = k / 2;
  Tensor out = Tensor::chw(layer.out_channels, h, w);

#pragma omp parallel for schedule(static)
  for (int oc = 0; oc < layer.out_channels; ++oc) {
    float* dst = &out.data[static_cast<size_t>(oc) * h * w];
    std::fill(dst, dst + h * w, layer.bias[oc]);
    int ic = 0;  // channel index within the concatenation
    for (const Tensor* in : inputs) {
      for (int64_t c = 0; c < in->channels(); ++c, ++ic) {
        const float* src = &in->data[static_cast<size_t>(c) * h * w];
        for (int ky = 0; ky < k; ++ky) {
          for (int kx = 0; kx < k; ++kx) {
            const float wv =
                layer
                    .weight[((static_cast<size_t>(oc) * layer.in_channels + ic) * k + ky) * k + kx];
            // Output positions whose tap (y + ky - pad, x + kx - pad) is inside the image.
            const int64_t y0 = std::max<int64_t>(0, pad - ky), y1 = std::min(h, h + pad - ky);
            const int64_t x0 = std::max<int64_t>(0, pad - kx), x1 = std::min(w, w + pad - kx);
            for (int64_t y = y0; y < y1; ++y) {
              float* d = dst + y * w;
              const float* s = src + (y + ky - pad) * w + (kx - pad);
              for (int64_t x = x0; x < x1; ++x) d[x] += wv * s[x];
            }
          }
        }
      }
    }
    for (int64_t i = 0; i < h * w; ++i) dst[i] = activate(dst[i], layer, oc);
  }
  return out;
}

Tensor add(const Tensor& a, const Tensor& b, float alpha, float beta) {
  Tensor out(a.shape, std::vector<float>(a.numel()));
  for (size_t i = 0; i < out.data.size(); ++i) out.data[i] = alpha * a.data[i] + beta * b.data[i];
  return out;
}

Tensor upsample_nearest(const Tensor& in, int f) {
  Tensor out = Tensor::chw(in.channels(), in.height() * f, in.width() * f);
  for (int64_t c = 0; c < out.channels(); ++c)
    for (int64_t y = 0; y < out.height(); ++y)
      for (int64_t x = 0; x < out.width(); ++x) out.at(c, y, x) = in.at(c, y / f, x / f);
  return out;
}

// PyTorch order: input channel c * f * f + i * f + j holds output pixel (y * f + i, x * f + j)
// of output channel c.
Tensor pixel_shuffle(const Tensor& in, int f) {
  Tensor out = Tensor::chw(in.channels() / (f * f), in.height() * f, in.width() * f);
  for (int64_t c = 0; c < out.channels(); ++c)
    for (int i = 0; i < f; ++i)
      for (int j = 0; j < f; ++j)
        for (int64_t y = 0; y < in.height(); ++y)
          for (int64_t x = 0; x < in.width(); ++x)
            out.at(c, y * f + i, x * f + j) = in.at((c * f + i) * f + j, y, x);
  return out;
}

Tensor pixel_unshuffle(const Tensor& in, int f) {
  Tensor out = Tensor::chw(in.channels() * f * f, in.height() / f, in.width() / f);
  for (int64_t c = 0; c < in.channels(); ++c)
    for (int i = 0; i < f; ++i)
      for (int j = 0; j < f; ++j)
        for (int64_t y = 0; y < out.height(); ++y)
          for (int64_t x = 0; x < out.width(); ++x)
            out.at((c * f + i) * f + j, y, x) = in.at(c, y * f + i, x * f + j);
  return out;
}

}  // namespace resr::reference
