// Shared by the upscale CLI tests: run the real binary with a tiny golden model,
// and compare the images it writes.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "support/image_files.hpp"
#include "support/run_binary.hpp"

namespace resr::testing {

// Tiny x4 and x2 models: a whole CLI run takes milliseconds.
inline std::string tiny_x4_model() {
  return (std::filesystem::path(RESR_TEST_DATA) / "golden/srvgg_prelu_x4.pth").string();
}
inline std::string tiny_x2_model() {
  return (std::filesystem::path(RESR_TEST_DATA) / "golden/rrdb_x2.pth").string();
}

// `real-esrgan-serve -m <tiny x4> args...`
inline CommandResult upscale_cli(std::vector<std::string> args,
                                 const std::string& model = tiny_x4_model()) {
  args.insert(args.begin(), {"-m", model});
  return run_binary(args);
}

inline double mean_abs_difference(const Pixels& a, const Pixels& b) {
  EXPECT_EQ(a.bytes.size(), b.bytes.size());
  if (a.bytes.size() != b.bytes.size() || a.bytes.empty()) return 1e9;
  double sum = 0;
  for (size_t i = 0; i < a.bytes.size(); ++i) sum += std::abs(int{a.bytes[i]} - int{b.bytes[i]});
  return sum / static_cast<double>(a.bytes.size());
}

// PSNR of two 8-bit images of the same shape, in dB (infinity when equal).
inline double psnr(const Pixels& a, const Pixels& b) {
  EXPECT_EQ(a.bytes.size(), b.bytes.size());
  if (a.bytes.size() != b.bytes.size() || a.bytes.empty()) return 0;
  double squared = 0;
  for (size_t i = 0; i < a.bytes.size(); ++i) {
    const int d = int{a.bytes[i]} - int{b.bytes[i]};
    squared += static_cast<double>(d * d);
  }
  const double mse = squared / static_cast<double>(a.bytes.size());
  return mse == 0 ? INFINITY : 10 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace resr::testing
