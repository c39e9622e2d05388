#include "cli/job_list.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace resr {
namespace {

namespace fs = std::filesystem;

JobListOptions for_input(const fs::path& input) {
  JobListOptions o;
  o.input = input;
  return o;
}

class JobListTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("resr_jobs_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "_" + testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "photos" / "sub");
    for (const char* f :
         {"photos/b.jpg", "photos/a.PNG", "photos/notes.txt", "photos/c.gif", "photos/sub/d.webp"})
      std::ofstream(root_ / f) << "x";
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(JobListTest, FileWithoutOutputGoesBesideItWithTheSuffix) {
  auto list = plan_jobs(for_input(root_ / "photos/b.jpg"));
  ASSERT_TRUE(list.is_ok());
  ASSERT_EQ(list->jobs.size(), 1u);
  EXPECT_EQ(list->jobs[0].output, root_ / "photos/b_out.jpg");
  EXPECT_FALSE(list->from_folder);
}

TEST_F(JobListTest, FormatFlagAndUnwritableExtensionsPickTheOutputExtension) {
  JobListOptions o = for_input(root_ / "photos/b.jpg");
  o.format = "webp";
  EXPECT_EQ(plan_jobs(o)->jobs[0].output, root_ / "photos/b_out.webp");
  o.format = "";
  o.output = root_ / "result.bmp";  // not writable: refused
  EXPECT_EQ(plan_jobs(o).status().code(), ErrorCode::kInvalidArgument);
  o.output = root_ / "result";  // no extension: the input's format
  EXPECT_EQ(plan_jobs(o)->jobs[0].output, root_ / "result.jpg");
  o.format = "webp";
  EXPECT_EQ(plan_jobs(o)->jobs[0].output, root_ / "result.webp");
  o.format = "bmp";
  EXPECT_EQ(plan_jobs(o).status().code(), ErrorCode::kInvalidArgument);
  JobListOptions gif = for_input(root_ / "photos/c.gif");
  EXPECT_EQ(plan_jobs(gif)->jobs[0].output, root_ / "photos/c_out.png");
}

TEST_F(JobListTest, FileIntoAnExistingFolderKeepsItsName) {
  JobListOptions o = for_input(root_ / "photos/b.jpg");
  o.output = root_ / "photos/sub";
  EXPECT_EQ(plan_jobs(o)->jobs[0].output, root_ / "photos/sub/b.jpg");
}

TEST_F(JobListTest, FolderRunTakesImagesSortedAndMirrorsSubfoldersWithR) {
  auto flat = plan_jobs(for_input(root_ / "photos"));
  ASSERT_TRUE(flat.is_ok());
  ASSERT_EQ(flat->jobs.size(), 3u);  // a.PNG, b.jpg, c.gif; not notes.txt, not sub/
  EXPECT_EQ(flat->jobs[0].output, root_ / "photos_out/a.png");
  EXPECT_EQ(flat->jobs[1].output, root_ / "photos_out/b.jpg");
  EXPECT_EQ(flat->jobs[2].output, root_ / "photos_out/c.png");
  JobListOptions r = for_input(root_ / "photos/");
  r.recursive = true;
  r.output = root_ / "out";
  auto deep = plan_jobs(r);
  ASSERT_TRUE(deep.is_ok());
  ASSERT_EQ(deep->jobs.size(), 4u);
  EXPECT_EQ(deep->jobs[3].output, root_ / "out/sub/d.webp");
}

TEST_F(JobListTest, MissingInputAndEmptyFolderAreClearErrors) {
  auto missing = plan_jobs(for_input(root_ / "nope.png"));
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.png"), std::string::npos);
  fs::remove(root_ / "photos/sub/d.webp");
  auto none = plan_jobs(for_input(root_ / "photos/sub"));
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find("has no images"), std::string::npos);
}

}  // namespace
}  // namespace resr
