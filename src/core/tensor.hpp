// A dense float tensor in row-major order. Activations are {C, H, W} (batch 1);
// weights keep the shape their file gives (conv: {O, I, KH, KW}).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace resr {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  Tensor() = default;
  Tensor(std::vector<int64_t> s, std::vector<float> d) : shape(std::move(s)), data(std::move(d)) {}
  // An activation of C x H x W zeros.
  static Tensor chw(int64_t c, int64_t h, int64_t w) {
    return Tensor({c, h, w}, std::vector<float>(static_cast<size_t>(c * h * w), 0.0f));
  }

  size_t numel() const {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    return n;
  }
  int64_t dim(size_t i) const { return shape.at(i); }
  // Activation accessors (shape {C, H, W}).
  int64_t channels() const { return shape.at(0); }
  int64_t height() const { return shape.at(1); }
  int64_t width() const { return shape.at(2); }
  float& at(int64_t c, int64_t y, int64_t x) { return data[(c * height() + y) * width() + x]; }
  float at(int64_t c, int64_t y, int64_t x) const { return data[(c * height() + y) * width() + x]; }
};

// "[64, 3, 3, 3]", for error messages.
std::string shape_to_string(const std::vector<int64_t>& shape);

}  // namespace resr
