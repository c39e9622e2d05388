// Fixtures of tests/data/formats (written by tools/fixtures/make_format_fixtures.py)
// and the check that a loader returned exactly the tensors torch saw.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/weights.hpp"

namespace resr::testing {

inline std::string format_fixture_path(const std::string& name) {
  return std::string(RESR_TEST_DATA) + "/formats/" + name;
}

inline std::vector<uint8_t> read_format_fixture(const std::string& name) {
  std::ifstream in(format_fixture_path(name), std::ios::binary);
  EXPECT_TRUE(in) << "missing fixture " << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// expected.json: per fixture, per tensor {"shape", "values"}; non-finite
// values are the strings "inf", "-inf" and "nan".
inline const nlohmann::json& expected_formats() {
  static const nlohmann::json expected = [] {
    std::ifstream in(format_fixture_path("expected.json"));
    return nlohmann::json::parse(in);
  }();
  return expected;
}

inline float expected_value(const nlohmann::json& value) {
  if (value.is_number()) return value.get<float>();
  const std::string text = value.get<std::string>();
  if (text == "nan") return NAN;
  return text == "inf" ? INFINITY : -INFINITY;
}

// The loaded tensors are exactly (bit for bit) those of `fixture` in expected.json.
inline void expect_tensors_of(const std::string& fixture, const LoadedWeights& weights) {
  const nlohmann::json& expected = expected_formats().at(fixture);
  EXPECT_EQ(weights.tensors.size(), expected.size()) << fixture;
  for (const auto& [name, want] : expected.items()) {
    const auto found = weights.tensors.find(name);
    ASSERT_NE(found, weights.tensors.end()) << fixture << ": no tensor " << name;
    const Tensor& tensor = found->second;
    EXPECT_EQ(tensor.shape, want.at("shape").get<std::vector<int64_t>>()) << fixture << " " << name;
    const nlohmann::json& values = want.at("values");
    ASSERT_EQ(tensor.data.size(), values.size()) << fixture << " " << name;
    for (size_t i = 0; i < values.size(); ++i) {
      const float expected_float = expected_value(values[i]);
      if (std::isnan(expected_float)) {
        EXPECT_TRUE(std::isnan(tensor.data[i])) << fixture << " " << name << "[" << i << "]";
      } else {
        EXPECT_EQ(std::bit_cast<uint32_t>(tensor.data[i]), std::bit_cast<uint32_t>(expected_float))
            << fixture << " " << name << "[" << i << "]: " << tensor.data[i] << " vs "
            << expected_float;
      }
    }
  }
}

}  // namespace resr::testing
