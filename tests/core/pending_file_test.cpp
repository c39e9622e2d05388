#include "core/pending_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/scratch_directory.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int entries(const fs::path& folder) {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(folder)) ++n;
  return n;
}

TEST(PendingFile, PublishesOnlyOnCommit) {
  auto dir = ScratchDirectory::create("resr-pending");
  ASSERT_TRUE(dir.is_ok());
  const fs::path out = dir->path() / "result.bin";
  auto file = PendingFile::create(out);
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  ASSERT_TRUE((*file)->write(std::string("bytes")).is_ok());
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(is_partial_name((*file)->temp_path().filename().string()));
  ASSERT_TRUE((*file)->commit().is_ok());
  EXPECT_EQ(contents(out), "bytes");
  EXPECT_EQ(entries(dir->path()), 1);
}

TEST(PendingFile, AWriterByPathWritesTheTemporaryFile) {
  auto dir = ScratchDirectory::create("resr-pending");
  ASSERT_TRUE(dir.is_ok());
  const fs::path out = dir->path() / "image.png";
  auto file = PendingFile::create_for_path(out);
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  std::ofstream((*file)->temp_path(), std::ios::binary) << "pixels";
  EXPECT_FALSE(fs::exists(out));
  ASSERT_TRUE((*file)->commit().is_ok());
  EXPECT_EQ(contents(out), "pixels");
  EXPECT_FALSE(fs::exists((*file)->temp_path()));
}

TEST(PendingFile, AnUncommittedFileLeavesNothing) {
  auto dir = ScratchDirectory::create("resr-pending");
  ASSERT_TRUE(dir.is_ok());
  {
    auto file = PendingFile::create_for_path(dir->path() / "video.mp4");
    ASSERT_TRUE(file.is_ok());
    std::ofstream((*file)->temp_path(), std::ios::binary) << "half a video";
  }
  EXPECT_EQ(entries(dir->path()), 0);
}

TEST(PendingFile, RecognisesItsTemporaryNamesOnly) {
  EXPECT_TRUE(is_partial_name(".photo.png.Ab12Cd.partial"));
  EXPECT_FALSE(is_partial_name("photo.png.partial"));      // not hidden
  EXPECT_FALSE(is_partial_name(".photo.png.partial"));     // no random part
  EXPECT_FALSE(is_partial_name(".photo.png.Ab12Cd.tmp"));  // another suffix
  EXPECT_FALSE(is_partial_name(".Ab12Cd.partial"));        // no name
}

}  // namespace
}  // namespace resr
