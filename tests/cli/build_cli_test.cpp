// `build` and `-e/--engine` through the real binary: an engine upscales exactly
// like its source model, and bad engines or mismatched flags get clear errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_target.hpp"
#include "core/scratch_directory.hpp"
#include "resr/status.hpp"
#include "support/run_binary.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::read_whole_file;
using testing::run_binary;

const fs::path kData = RESR_TEST_DATA;
const std::string kModel = (kData / "golden/rrdb_x4.param").string();
const std::string kImage = (kData / "images/sample.png").string();

class BuildCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = ScratchDirectory::create("resr-build-cli");
    ASSERT_TRUE(dir.is_ok());
    scratch_.emplace(std::move(dir).value());
  }
  std::string path(const std::string& name) const { return (scratch_->path() / name).string(); }

  std::string build_engine(std::vector<std::string> extra = {}) {
    const std::string engine = path("tiny.engine");
    std::vector<std::string> args = {"build", "-m", kModel, "--engine", engine};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_binary(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("wrote " + engine + ": RRDBNet x4"), std::string::npos) << r.err;
    return engine;
  }

 private:
  std::optional<ScratchDirectory> scratch_;
};

TEST_F(BuildCliTest, EngineUpscalesExactlyLikeItsSourceModel) {
  const std::string engine = build_engine();
  const auto from_model = run_binary({"-i", kImage, "-o", path("model.png"), "-m", kModel, "-q"});
  ASSERT_EQ(from_model.exit_code, 0) << from_model.err;
  const auto from_engine =
      run_binary({"-i", kImage, "-o", path("engine.png"), "-e", engine, "-q", "--json"});
  ASSERT_EQ(from_engine.exit_code, 0) << from_engine.err;
  EXPECT_EQ(read_whole_file(path("engine.png")), read_whole_file(path("model.png")));
  const auto summary = nlohmann::json::parse(from_engine.out);
  EXPECT_EQ(summary["engine"], engine);
  EXPECT_EQ(summary["backend"], "cpu");
  EXPECT_EQ(summary["precision"], "fp32");
  EXPECT_EQ(summary["model"]["arch"], "RRDBNet");
}

TEST_F(BuildCliTest, BuildsFromOnnxToo) {
  const std::string onnx = (kData / "golden/rrdb_x4.onnx").string();
  const std::string engine = path("from-onnx.engine");
  const auto built = run_binary({"build", "--onnx", onnx, "--engine", engine});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  ASSERT_EQ(run_binary({"-i", kImage, "-o", path("a.png"), "-m", onnx, "-q"}).exit_code, 0);
  ASSERT_EQ(run_binary({"-i", kImage, "-o", path("b.png"), "-e", engine, "-q"}).exit_code, 0);
  EXPECT_EQ(read_whole_file(path("a.png")), read_whole_file(path("b.png")));
}

TEST_F(BuildCliTest, TileProfileSetsTheDefaultTileAndBoundsRequestedOnes) {
  const std::string engine = build_engine({"--tile-profile", "32:48:64"});
  const auto by_default = run_binary({"-i", kImage, "-o", path("a.png"), "-e", engine, "--json"});
  ASSERT_EQ(by_default.exit_code, 0) << by_default.err;
  EXPECT_EQ(nlohmann::json::parse(by_default.out)["tile"], 48);
  // 128x96 with 64-pixel tiles: tiled, not refused.
  const auto too_big =
      run_binary({"-i", kImage, "-o", path("b.png"), "-e", engine, "-t", "500", "--json"});
  ASSERT_EQ(too_big.exit_code, 0) << too_big.err;
  EXPECT_EQ(nlohmann::json::parse(too_big.out)["tile"], 64);
  EXPECT_GT(nlohmann::json::parse(too_big.out)["images"][0]["tiles"], 1);
}

TEST_F(BuildCliTest, Bf16EngineRecordsItsPrecision) {
  if (!cpu::cpu_has_bf16()) GTEST_SKIP() << "this CPU lacks AVX512-BF16";
  const std::string engine = build_engine({"--precision", "bf16"});
  const auto r = run_binary({"-i", kImage, "-o", path("a.png"), "-e", engine, "-q", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["precision"], "bf16");
  const auto mismatch =
      run_binary({"-i", kImage, "-o", path("b.png"), "-e", engine, "--precision", "fp32"});
  EXPECT_EQ(mismatch.exit_code, exit_code_for(ErrorCode::kInvalidArgument));
  EXPECT_NE(mismatch.err.find("was built for bf16; rebuild it with --precision fp32"),
            std::string::npos)
      << mismatch.err;
}

TEST_F(BuildCliTest, RefusesFlagsThatContradictTheEngine) {
  const std::string engine = build_engine();
  const auto backend =
      run_binary({"-i", kImage, "-o", path("a.png"), "-e", engine, "--backend", "reference"});
  EXPECT_EQ(backend.exit_code, exit_code_for(ErrorCode::kInvalidArgument));
  EXPECT_NE(backend.err.find("was built for the cpu backend"), std::string::npos) << backend.err;
  const auto both = run_binary({"-i", kImage, "-o", path("a.png"), "-e", engine, "-m", kModel});
  EXPECT_EQ(both.exit_code, exit_code_for(ErrorCode::kInvalidArgument));
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
}

TEST_F(BuildCliTest, ExplainsBadEnginesAndBadBuilds) {
  const auto not_engine = run_binary({"-i", kImage, "-o", path("a.png"), "-e", kModel});
  EXPECT_EQ(not_engine.exit_code, exit_code_for(ErrorCode::kInvalidModel));
  EXPECT_NE(not_engine.err.find("is not a real-esrgan-serve engine file"), std::string::npos)
      << not_engine.err;
  EXPECT_FALSE(fs::exists(path("a.png")));

  const auto not_onnx = run_binary({"build", "--onnx", kModel, "--engine", path("x.engine")});
  EXPECT_EQ(not_onnx.exit_code, exit_code_for(ErrorCode::kInvalidArgument));
  EXPECT_NE(not_onnx.err.find("is a ncnn file, not ONNX"), std::string::npos) << not_onnx.err;

  const auto profile = run_binary(
      {"build", "-m", kModel, "--engine", path("x.engine"), "--tile-profile", "64:32:128"});
  EXPECT_EQ(profile.exit_code, exit_code_for(ErrorCode::kInvalidArgument));
  EXPECT_NE(profile.err.find("needs MIN <= OPT <= MAX"), std::string::npos) << profile.err;

  const auto reference =
      run_binary({"build", "-m", kModel, "--engine", path("x.engine"), "--backend", "reference"});
  EXPECT_EQ(reference.exit_code, exit_code_for(ErrorCode::kUnsupported));
  EXPECT_NE(reference.err.find("build engines with --backend cpu"), std::string::npos)
      << reference.err;
  EXPECT_FALSE(fs::exists(path("x.engine")));
}

}  // namespace
}  // namespace resr
