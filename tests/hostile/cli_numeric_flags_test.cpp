// Numeric flags at and beyond their ranges, through the real binary: -j and
// the server's threads are bounded by the machine, every numeric flag states
// its range in --help and in its error (never with DBL_MAX's digits), and
// negative or out-of-range values are refused with exit 2.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "cli/upscale_cli_support.hpp"
#include "resr/status.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::run_binary;
using testing::ScratchDir;
using testing::upscale_cli;

const int kBadUsage = exit_code_for(ErrorCode::kInvalidArgument);

fs::path input_in(const ScratchDir& dir) {
  fs::copy_file(fixture("rgb8.png"), dir / "a.png");
  return dir / "a.png";
}

TEST(CliNumericFlags, ThreadsAboveTheMachinesLimitAreRefusedNamingIt) {
  ScratchDir dir;
  const fs::path in = input_in(dir);
  const std::string limit = std::to_string(max_thread_count());
  for (const std::string& threads :
       std::vector<std::string>{"100000", "2147483647", std::to_string(max_thread_count() + 1)}) {
    auto r = upscale_cli({"-i", in, "-q", "-j", threads});
    EXPECT_EQ(r.exit_code, kBadUsage) << threads << ": " << r.err;
    EXPECT_NE(r.err.find(limit), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir / "a_out.png"));
  auto at_limit = upscale_cli({"-i", in, "-q", "-j", limit});
  EXPECT_EQ(at_limit.exit_code, 0) << at_limit.err;
}

TEST(CliNumericFlags, ServerThreadsAboveTheLimitAreRefused) {
  ScratchDir dir;
  // A model that does not exist: were the threads accepted, the start would
  // fail later with "not found" (3), not with bad usage.
  const std::vector<std::string> start = {"server",     "start",      "-p", "0",
                                          "--data-dir", dir / "data", "-m", dir / "none.pth"};
  auto flag = start;
  flag.insert(flag.end(), {"-j", "100000"});
  auto r = run_binary(flag);
  EXPECT_EQ(r.exit_code, kBadUsage) << r.err;
  EXPECT_NE(r.err.find(std::to_string(max_thread_count())), std::string::npos) << r.err;
  auto env = run_binary(start, {"REAL_ESRGAN_SERVE_THREADS=1025"});
  EXPECT_EQ(env.exit_code, kBadUsage) << env.err;
  EXPECT_NE(env.err.find(std::to_string(max_thread_count())), std::string::npos) << env.err;
}

TEST(CliNumericFlags, OutscaleOutOfRangeSaysTheRangeBriefly) {
  ScratchDir dir;
  const fs::path in = input_in(dir);
  for (const std::string s : {"0", "-1", "65", "1e400", "nan"}) {
    auto r = upscale_cli({"-i", in, "-q", "-s", s});
    EXPECT_EQ(r.exit_code, kBadUsage) << s << ": " << r.err;
    EXPECT_NE(r.err.find("64"), std::string::npos) << r.err;
    EXPECT_LT(r.err.size(), 200u) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir / "a_out.png"));
}

TEST(CliNumericFlags, NegativeAndZeroLimitsAreRefused) {
  ScratchDir dir;
  const fs::path in = input_in(dir);
  const std::vector<std::vector<std::string>> cases = {{"--max-input-pixels", "-1"},
                                                       {"--max-input-pixels", "0"},
                                                       {"--max-output-pixels", "-5"},
                                                       {"-g", "-2"},
                                                       {"--tile-pad", "-1"}};
  for (auto args : cases) {
    const std::string what = args[0] + " " + args[1];
    args.insert(args.begin(), {"-i", in, "-q"});
    auto r = upscale_cli(args);
    EXPECT_EQ(r.exit_code, kBadUsage) << what << ": " << r.err;
    EXPECT_LT(r.err.size(), 200u) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir / "a_out.png"));
}

TEST(CliNumericFlags, VideoTimesOutOfRangeSayTheRangeBriefly) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--start", "-1"}, {"--duration", "0"}, {"-s", "0"}}) {
    std::vector<std::string> full = {"video", "-i", "in.mp4", "-o", "out.mp4"};
    full.insert(full.end(), args.begin(), args.end());
    auto r = run_binary(full);
    EXPECT_EQ(r.exit_code, kBadUsage) << args[0] << ": " << r.err;
    EXPECT_LT(r.err.size(), 200u) << r.err;
  }
}

TEST(CliNumericFlags, HelpStatesEveryNumericRange) {
  auto r = run_binary({"--help"});
  ASSERT_EQ(r.exit_code, 0);
  const std::string threads = "[0 - " + std::to_string(max_thread_count()) + "]";
  for (const std::string& range : {threads, std::string("(0, 64]"), std::string("[1 - 100]")}) {
    EXPECT_NE(r.out.find(range), std::string::npos) << range << " in " << r.out;
  }
  const size_t pixels = r.out.find("--max-input-pixels");
  ASSERT_NE(pixels, std::string::npos);
  EXPECT_NE(r.out.substr(pixels, 80).find(">= 1"), std::string::npos) << r.out.substr(pixels, 80);
}

}  // namespace
}  // namespace resr
