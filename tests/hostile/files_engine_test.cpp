// Crafted engine files run through the real binary: sizes that would ask for
// gigabytes (sparse files, so they cost no disk), tile profiles, scales and
// graphs that disagree with what an engine must be. Each is a bad engine
// (exit 5) refused before it costs memory, never a crash.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <vector>

#include "cli/upscale_cli_support.hpp"
#include "resr/status.hpp"
#include "support/engine_files.hpp"
#include "support/sparse_file.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::run_binary;
using testing::ScratchDir;

const int kBadModel = exit_code_for(ErrorCode::kInvalidModel);
// The binary with its libraries loaded and a tiny image: tens of MiB. A load
// that read or allocated a crafted payload would be gigabytes above it.
constexpr long kPeakRssLimitKib = 256 * 1024;

// An engine prefix declaring a 2-byte header and `payload` bytes, in a file of
// exactly the size those declare (a hole but for the first 34 bytes).
fs::path sparse_engine(const ScratchDir& dir, uint64_t payload) {
  std::string head(32, '\0');
  std::memcpy(head.data(), "RESRENGN", 8);
  const uint32_t version = 1;
  const uint64_t header_size = 2;
  std::memcpy(head.data() + 8, &version, sizeof version);
  std::memcpy(head.data() + 16, &header_size, sizeof header_size);
  std::memcpy(head.data() + 24, &payload, sizeof payload);
  head += "{}";
  const fs::path p = dir / ("sparse-" + std::to_string(payload >> 30) + "g.engine");
  EXPECT_TRUE(testing::write_sparse_file(p, head, 64 + payload + 64));
  return p;
}

testing::CommandResult upscale_with_engine(const ScratchDir& dir, const fs::path& engine) {
  return run_binary({"-e", engine, "-i", fixture("rgb8.png"), "-o", dir / "out.png", "-q"});
}

fs::path tiny_engine(const ScratchDir& dir) {
  const fs::path engine = dir / "tiny.engine";
  auto r = run_binary({"build", "-m", testing::tiny_x4_model(), "--engine", engine});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return engine;
}

TEST(FilesEngine, HugeDeclaredPayloadIsRefusedBeforeItCostsMemory) {
  ScratchDir dir;
  for (uint64_t gib : {20, 3}) {
    const fs::path engine = sparse_engine(dir, gib << 30);
    auto r = upscale_with_engine(dir, engine);
    EXPECT_EQ(r.exit_code, kBadModel) << gib << " GiB: " << r.err;
    EXPECT_NE(r.err.find("payload; an engine holds at most"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("rebuild it"), std::string::npos) << r.err;
    EXPECT_LT(r.peak_rss_kib, kPeakRssLimitKib) << gib << " GiB engine";
    EXPECT_FALSE(fs::exists(dir / "out.png"));
  }
}

TEST(FilesEngine, TileProfileOutOfOrderIsABadEngine) {
  ScratchDir dir;
  const fs::path engine = tiny_engine(dir);
  for (const auto& [min, opt, max] : {std::tuple{64, 32, 128}, {0, 0, 0}, {16, 64, 32}}) {
    testing::edit_engine_header(engine, [&](nlohmann::json& h) {
      h["tile_profile"] = {{"min", min}, {"opt", opt}, {"max", max}};
    });
    auto r = upscale_with_engine(dir, engine);
    EXPECT_EQ(r.exit_code, kBadModel) << r.err;
    EXPECT_NE(r.err.find("tile profile"), std::string::npos) << r.err;
  }
}

TEST(FilesEngine, ScaleOfZeroOrAMillionIsABadEngineNotABadScaleFlag) {
  ScratchDir dir;
  for (int scale : {0, 1000000, 2}) {
    const fs::path engine = tiny_engine(dir);
    testing::edit_engine_header(engine, [&](nlohmann::json& h) {
      h["model"]["scale"] = scale;
      h["graph"]["scale"] = scale;
    });
    auto r = upscale_with_engine(dir, engine);
    EXPECT_EQ(r.exit_code, kBadModel) << scale << ": " << r.err;
    EXPECT_NE(r.err.find("declares scale " + std::to_string(scale)), std::string::npos) << r.err;
  }
}

TEST(FilesEngine, GraphWhoseOutputIsNotTheDeclaredImageIsABadEngine) {
  ScratchDir dir;
  // The tiny x4 graph ends: conv (48 channels), pixel shuffle x4, nearest x4
  // of the input, add. Cut after the 48-channel conv, or make the nearest
  // branch x2 so that the add mixes sizes.
  const std::vector<std::function<void(nlohmann::json&)>> edits = {
      [](nlohmann::json& g) { g["nodes"].erase(g["nodes"].begin() + 7, g["nodes"].end()); },
      [](nlohmann::json& g) { g["nodes"][8]["factor"] = 2; },
  };
  for (const auto& edit : edits) {
    const fs::path engine = tiny_engine(dir);
    testing::edit_engine_header(engine, [&](nlohmann::json& h) { edit(h["graph"]); });
    auto r = upscale_with_engine(dir, engine);
    EXPECT_EQ(r.exit_code, kBadModel) << r.err;
    EXPECT_NE(r.err.find("invalid graph"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.png"));
  }
}

TEST(FilesEngine, HeaderScaleThatDisagreesWithItsGraphIsABadEngine) {
  ScratchDir dir;
  const fs::path engine = tiny_engine(dir);
  testing::edit_engine_header(engine, [](nlohmann::json& h) { h["model"]["scale"] = 2; });
  auto r = upscale_with_engine(dir, engine);
  EXPECT_EQ(r.exit_code, kBadModel) << r.err;
  EXPECT_NE(r.err.find("is not the graph's 4"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace resr
