#include "core/sha256.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/scratch_directory.hpp"

namespace resr {
namespace {

std::span<const uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// FIPS 180-2 test vectors.
TEST(Sha256, MatchesPublishedVectors) {
  EXPECT_EQ(sha256_hex(bytes_of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(bytes_of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  const std::string million(1000000, 'a');
  Sha256 hasher;
  for (size_t at = 0; at < million.size(); at += 4093) {
    hasher.update(bytes_of(million.substr(at, 4093)));
  }
  EXPECT_EQ(hasher.hex_digest(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, HashesAFileLargerThanOneReadBlock) {
  auto scratch = ScratchDirectory::create("resr-sha256-test");
  ASSERT_TRUE(scratch.is_ok()) << scratch.status().message();
  const auto path = scratch->path() / "a.txt";
  std::ofstream(path, std::ios::binary) << std::string(1000000, 'a');
  auto digest = sha256_file(path);
  ASSERT_TRUE(digest.is_ok()) << digest.status().message();
  EXPECT_EQ(*digest, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, MissingFileIsNotFoundAndNamesThePath) {
  auto digest = sha256_file("/nonexistent/dir/x.bin");
  ASSERT_FALSE(digest.is_ok());
  EXPECT_EQ(digest.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(digest.status().message().find("/nonexistent/dir/x.bin"), std::string::npos);
}

TEST(Sha256, DirectoryIsAnIoError) {
  auto digest = sha256_file("/");
  ASSERT_FALSE(digest.is_ok());
  EXPECT_EQ(digest.status().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace resr
