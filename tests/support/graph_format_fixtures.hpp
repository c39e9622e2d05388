// Fixtures of tests/data/graph_formats (written by
// tools/fixtures/make_graph_fixtures.py): tiny models as ONNX and ncnn files,
// and the check that a loader returned the tensors torch had.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/weights.hpp"
#include "resr/status.hpp"

namespace resr::testing {

inline std::string graph_fixture_path(const std::string& name) {
  return std::string(RESR_TEST_DATA) + "/graph_formats/" + name;
}

inline std::vector<uint8_t> read_graph_fixture(const std::string& name) {
  std::ifstream in(graph_fixture_path(name), std::ios::binary);
  EXPECT_TRUE(in) << "missing fixture " << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string read_graph_fixture_text(const std::string& name) {
  const std::vector<uint8_t> bytes = read_graph_fixture(name);
  return std::string(bytes.begin(), bytes.end());
}

// expected.json: {"cases": {file: {"format", "arch", "scale", "activation",
// "negative_slope", "tensors": {name: {"shape", "first", "checksum"}}}}}.
inline const nlohmann::json& graph_fixture_cases() {
  static const nlohmann::json cases = [] {
    std::ifstream in(graph_fixture_path("expected.json"));
    return nlohmann::json::parse(in).at("cases");
  }();
  return cases;
}

inline std::vector<std::string> graph_fixtures_of_format(const std::string& format) {
  std::vector<std::string> files;
  for (const auto& [file, c] : graph_fixture_cases().items()) {
    if (c.at("format") == format) files.push_back(file);
  }
  return files;
}

// Sum of value * (position % 13 + 1) in float64, in order: any changed,
// moved or swapped value changes it.
inline double position_weighted_sum(const std::vector<float>& values) {
  double sum = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    sum += static_cast<double>(values[i]) * static_cast<double>(i % 13 + 1);
  }
  return sum;
}

inline Activation expected_activation(const std::string& name) {
  if (name == "prelu") return Activation::kPRelu;
  return name == "relu" ? Activation::kRelu : Activation::kLeakyRelu;
}

// The loaded weights are those the fixture's torch model had (float16
// rounding included where the file stores float16).
inline void expect_graph_fixture_weights(const std::string& file, const LoadedWeights& weights) {
  const nlohmann::json& c = graph_fixture_cases().at(file);
  EXPECT_EQ(weights.format, c.at("format").get<std::string>());
  ASSERT_TRUE(weights.activation.has_value()) << file;
  EXPECT_EQ(*weights.activation, expected_activation(c.at("activation")));
  EXPECT_FLOAT_EQ(weights.negative_slope, c.at("negative_slope").get<float>());
  const nlohmann::json& tensors = c.at("tensors");
  EXPECT_EQ(weights.tensors.size(), tensors.size()) << file;
  for (const auto& [name, want] : tensors.items()) {
    const auto found = weights.tensors.find(name);
    ASSERT_NE(found, weights.tensors.end()) << file << ": no tensor " << name;
    const Tensor& t = found->second;
    ASSERT_EQ(t.shape, want.at("shape").get<std::vector<int64_t>>()) << file << " " << name;
    ASSERT_EQ(t.data.size(), t.numel()) << file << " " << name;
    EXPECT_EQ(t.data[0], want.at("first").get<float>()) << file << " " << name;
    const double checksum = want.at("checksum").get<double>();
    EXPECT_NEAR(position_weighted_sum(t.data), checksum, 1e-12 * std::max(1.0, std::abs(checksum)))
        << file << " " << name;
  }
}

// "name.ext" -> "name_ext", for test names.
inline std::string fixture_test_name(std::string file) {
  for (char& ch : file) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return file;
}

// A failed load with `code` whose message contains every one of `parts`.
inline void expect_error(const Result<LoadedWeights>& r, ErrorCode code,
                         std::initializer_list<const char*> parts) {
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), code) << r.status().message();
  for (const char* part : parts) {
    EXPECT_NE(r.status().message().find(part), std::string::npos)
        << "'" << part << "' not in: " << r.status().message();
  }
}

}  // namespace resr::testing
