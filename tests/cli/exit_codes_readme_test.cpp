// README.md's exit-code table lists every code the CLI can return.
#include <gtest/gtest.h>

#include <filesystem>

#include "resr/status.hpp"
#include "support/run_binary.hpp"

namespace resr {
namespace {

TEST(ExitCodesReadme, TableHasEveryExitCode) {
  const std::string readme =
      testing::read_whole_file((std::filesystem::path(RESR_SOURCE_DIR) / "README.md").string());
  const size_t table = readme.find("## Exit codes");
  ASSERT_NE(table, std::string::npos);
  const std::string section = readme.substr(table, readme.find("\n## ", table + 1) - table);
  std::vector<int> codes = {kExitSomeImagesFailed};
  for (int c = static_cast<int>(ErrorCode::kOk); c <= static_cast<int>(ErrorCode::kInternal); ++c)
    codes.push_back(exit_code_for(static_cast<ErrorCode>(c)));
  for (int code : codes)
    EXPECT_NE(section.find("\n| " + std::to_string(code) + " | "), std::string::npos)
        << "README.md's exit-code table has no row for " << code;
}

}  // namespace
}  // namespace resr
