// load_safetensors against files of the generator's writer, and against
// headers built here to trip one check each.
#include "model/formats/safetensors_format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "support/format_fixtures.hpp"

namespace resr {
namespace {

using testing::expect_tensors_of;
using testing::read_format_fixture;

// A safetensors file: the header's length, the header, then `data`.
std::vector<uint8_t> safetensors_bytes(const std::string& header,
                                       const std::vector<uint8_t>& data) {
  const uint64_t size = header.size();
  std::vector<uint8_t> bytes(sizeof(size) + header.size() + data.size());
  std::memcpy(bytes.data(), &size, sizeof(size));
  std::memcpy(bytes.data() + sizeof(size), header.data(), header.size());
  std::copy(data.begin(), data.end(),
            bytes.begin() + static_cast<ptrdiff_t>(sizeof(size) + header.size()));
  return bytes;
}

Status load_error(const std::vector<uint8_t>& bytes) {
  Result<LoadedWeights> weights = load_safetensors(bytes, "bad.safetensors");
  if (weights.is_ok()) return Status::ok();
  return weights.status();
}

void expect_refused(const std::vector<uint8_t>& bytes, const std::vector<std::string>& parts) {
  const Status status = load_error(bytes);
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.code(), ErrorCode::kInvalidModel);
  EXPECT_NE(status.message().find("safetensors file 'bad.safetensors'"), std::string::npos)
      << status.message();
  for (const std::string& part : parts) {
    EXPECT_NE(status.message().find(part), std::string::npos)
        << "'" << part << "' not in: " << status.message();
  }
}

const std::vector<uint8_t> kEightBytes(8, 0);

TEST(SafetensorsFormat, LoadsFloat32WithMetadata) {
  Result<LoadedWeights> weights =
      load_safetensors(read_format_fixture("basic.safetensors"), "basic.safetensors");
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  EXPECT_EQ(weights->format, "safetensors");
  EXPECT_FALSE(weights->activation.has_value());
  expect_tensors_of("basic.safetensors", *weights);
}

TEST(SafetensorsFormat, WidensHalfBfloatAndDoubleSkipsIntegersAndStripsModulePrefix) {
  Result<LoadedWeights> weights =
      load_safetensors(read_format_fixture("dtypes.safetensors"), "dtypes.safetensors");
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  expect_tensors_of("dtypes.safetensors", *weights);
}

TEST(SafetensorsFormat, KeepsNonFiniteValues) {
  // float16 +inf, NaN, -0 and the largest finite value.
  const std::vector<uint8_t> data = {0x00, 0x7c, 0x00, 0x7e, 0x00, 0x80, 0xff, 0x7b};
  Result<LoadedWeights> weights = load_safetensors(
      safetensors_bytes(R"({"x":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", data),
      "x.safetensors");
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  const std::vector<float>& values = weights->tensors.at("x").data;
  EXPECT_EQ(values[0], INFINITY);
  EXPECT_TRUE(std::isnan(values[1]));
  EXPECT_TRUE(std::signbit(values[2]));
  EXPECT_EQ(values[3], 65504.0f);
}

TEST(SafetensorsFormat, RecognisesFilesByContent) {
  EXPECT_TRUE(looks_like_safetensors(read_format_fixture("basic.safetensors")));
  EXPECT_FALSE(looks_like_safetensors(read_format_fixture("params_only.pth")));
  EXPECT_FALSE(looks_like_safetensors({}));
}

TEST(SafetensorsFormat, RefusesAnEmptyFile) { expect_refused({}, {"0 bytes", "truncated"}); }

TEST(SafetensorsFormat, RefusesAHeaderLengthLargerThanTheFile) {
  std::vector<uint8_t> bytes(8, 0xff);
  bytes.push_back('{');
  expect_refused(bytes, {"header length 18446744073709551615 is larger than the file (1 bytes"});
}

TEST(SafetensorsFormat, RefusesHeadersThatAreNotJsonObjects) {
  expect_refused(safetensors_bytes("{\"x\":", {}), {"not a JSON object"});
  expect_refused(safetensors_bytes("[1, 2]", {}), {"not a JSON object"});
}

TEST(SafetensorsFormat, RefusesAnUnknownDtype) {
  expect_refused(
      safetensors_bytes(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", kEightBytes),
      {"tensor 'w'", "unknown dtype 'Q7'"});
}

TEST(SafetensorsFormat, RefusesOffsetsOutsideTheData) {
  expect_refused(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}})",
                                   kEightBytes),
                 {"tensor 'w'", "[0, 400]", "data section of 8 bytes", "offsets out of range"});
  expect_refused(
      safetensors_bytes(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", kEightBytes),
      {"tensor 'w'", "[8, 4]"});
}

TEST(SafetensorsFormat, RefusesAShapeThatDisagreesWithTheOffsets) {
  expect_refused(
      safetensors_bytes(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", kEightBytes),
      {"tensor 'w' of shape [3] and dtype F32 spans 8 bytes"});
  // A shape whose element count overflows 64 bits.
  expect_refused(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],)"
                                   R"("data_offsets":[0,8]}})",
                                   kEightBytes),
                 {"tensor 'w'", "spans 8 bytes"});
}

TEST(SafetensorsFormat, RefusesMalformedEntries) {
  expect_refused(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2]}})", kEightBytes),
                 {"tensor 'w'", "needs \"dtype\""});
  expect_refused(
      safetensors_bytes(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", kEightBytes),
      {"tensor 'w'", "non-negative integers"});
  expect_refused(safetensors_bytes(R"({"w":5})", kEightBytes), {"tensor 'w'", "not an object"});
}

TEST(SafetensorsFormat, RefusesOverlappingTensors) {
  expect_refused(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                   R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                   kEightBytes),
                 {"tensors 'a' and 'b' overlap"});
}

TEST(SafetensorsFormat, RefusesDeepNestingBeforeParsingIt) {
  expect_refused(safetensors_bytes(std::string(100000, '[') + std::string(100000, ']'), {}),
                 {"nests deeper"});
}

TEST(SafetensorsFormat, RefusesAFileWithoutFloatTensors) {
  expect_refused(safetensors_bytes(R"({"__metadata__":{"format":"pt"}})", {}),
                 {"no floating-point tensors"});
}

TEST(SafetensorsFormat, EveryPrefixIsRefused) {
  const std::vector<uint8_t> bytes = read_format_fixture("basic.safetensors");
  for (size_t size = 0; size < bytes.size(); ++size) {
    const Status status = load_error({bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(size)});
    ASSERT_FALSE(status.is_ok()) << size;
    ASSERT_EQ(status.code(), ErrorCode::kInvalidModel) << size;
  }
  // Cut inside the header, then inside the data.
  expect_refused({bytes.begin(), bytes.begin() + 20}, {"is larger than the file", "truncated"});
  expect_refused({bytes.begin(), bytes.end() - 4}, {"outside the data section", "truncated"});
}

}  // namespace
}  // namespace resr
