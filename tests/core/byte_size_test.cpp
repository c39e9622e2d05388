#include "core/byte_size.hpp"

#include <gtest/gtest.h>

namespace resr {
namespace {

TEST(ByteSize, ParsesPlainAndBinaryUnits) {
  EXPECT_EQ(*parse_byte_size("1000"), 1000);
  EXPECT_EQ(*parse_byte_size("512M"), 512LL << 20);
  EXPECT_EQ(*parse_byte_size("2g"), 2LL << 30);
  EXPECT_EQ(*parse_byte_size("1.5GiB"), 3LL << 29);
  EXPECT_EQ(*parse_byte_size("64KB"), 64LL << 10);
}

TEST(ByteSize, RejectsNonsenseWithAnExample) {
  for (const char* bad : {"", "G", "-1G", "0", "12Q", "1e30T", "abc"}) {
    auto r = parse_byte_size(bad);
    ASSERT_FALSE(r.is_ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("512M"), std::string::npos);
  }
}

}  // namespace
}  // namespace resr
