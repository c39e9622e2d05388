// Raw little-endian float32 tensors on disk (golden inputs and outputs, ONNX
// Runtime exchange) and the max-abs comparison every numeric test uses.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/tensor.hpp"

namespace resr::testing {

inline Tensor read_f32(const std::filesystem::path& file, std::vector<int64_t> shape) {
  Tensor t(std::move(shape), {});
  t.data.resize(t.numel());
  std::ifstream in(file, std::ios::binary);
  in.read(reinterpret_cast<char*>(t.data.data()), static_cast<std::streamsize>(t.numel() * 4));
  EXPECT_TRUE(in.good()) << file;
  return t;
}

inline void write_f32(const std::filesystem::path& file, const Tensor& t) {
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(t.data.data()),
             static_cast<std::streamsize>(t.data.size() * 4));
}

inline float max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape, b.shape);
  float m = 0;
  for (size_t i = 0; i < std::min(a.data.size(), b.data.size()); ++i)
    m = std::max(m, std::fabs(a.data[i] - b.data[i]));
  return m;
}

}  // namespace resr::testing
