// Engine files: a round trip runs bit for bit like the source model, and every
// kind of bad engine file is refused with its exact error, never run.
#include "engine/engine_file.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_target.hpp"
#include "core/scratch_directory.hpp"
#include "core/sha256.hpp"
#include "engine/graph_structure.hpp"
#include "engine/runnable_model.hpp"
#include "support/engine_files.hpp"
#include "support/run_binary.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
const fs::path kGolden = fs::path(RESR_TEST_DATA) / "golden";

RunnableModel compiled(const std::string& file, Precision precision = Precision::kFp32) {
  auto model = load_model(kGolden / file);
  EXPECT_TRUE(model.is_ok()) << model.status().message();
  auto runnable = compile_model(**model, "cpu", {.threads = 2, .precision = precision});
  EXPECT_TRUE(runnable.is_ok()) << runnable.status().message();
  return std::move(runnable).value();
}

// A 16 x 20 input with every value distinct (sides divisible by any unshuffle here).
Tensor run(const RunnableModel& model) {
  Tensor input({3, 16, 20}, {});
  input.data.resize(input.numel());
  for (size_t i = 0; i < input.data.size(); ++i) input.data[i] = static_cast<float>(i % 97) / 96;
  auto output = model.compiled->new_session()->run(input);
  EXPECT_TRUE(output.is_ok()) << output.status().message();
  return std::move(output).value();
}

class EngineFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = ScratchDirectory::create("resr-engine-test");
    ASSERT_TRUE(dir.is_ok());
    scratch_.emplace(std::move(dir).value());
  }
  fs::path path(const std::string& name) const { return scratch_->path() / name; }

  // A valid engine of the tiny RRDBNet, then its bytes for tampering.
  fs::path write_rrdb_engine() {
    const fs::path p = path("rrdb.engine");
    EXPECT_TRUE(write_engine(compiled("rrdb_x4.param"), std::nullopt, p).is_ok());
    return p;
  }
  static std::string bytes_of(const fs::path& p) { return testing::read_whole_file(p.string()); }
  static void put_bytes(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
  }

  // Applies `edit` to the header's JSON of the engine at `p`, then redoes its
  // sizes, padding and checksum so that only the edit can fail it.
  static void edit_header(const fs::path& p, const std::function<void(nlohmann::json&)>& edit) {
    testing::edit_engine_header(p, edit);
  }

  static void expect_refused(const fs::path& p, ErrorCode code,
                             std::initializer_list<const char*> parts) {
    auto loaded = load_engine(p, {});
    ASSERT_FALSE(loaded.is_ok());
    EXPECT_EQ(loaded.status().code(), code) << loaded.status().message();
    for (const char* part : parts) {
      EXPECT_NE(loaded.status().message().find(part), std::string::npos)
          << "'" << part << "' not in: " << loaded.status().message();
    }
  }

 private:
  std::optional<ScratchDirectory> scratch_;
};

class EngineRoundTripTest : public EngineFileTest,
                            public ::testing::WithParamInterface<const char*> {};

TEST_P(EngineRoundTripTest, RunsBitForBitLikeTheSourceModel) {
  const RunnableModel source = compiled(GetParam());
  const fs::path engine = path("model.engine");
  ASSERT_TRUE(write_engine(source, TileProfile{32, 64, 128}, engine).is_ok());

  auto loaded = load_engine(engine, {.threads = 2});
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->backend, "cpu");
  EXPECT_EQ(loaded->precision, Precision::kFp32);
  EXPECT_EQ(loaded->tile_profile, (TileProfile{32, 64, 128}));
  EXPECT_EQ(loaded->info.arch, source.info.arch);
  EXPECT_EQ(loaded->info.scale, source.info.scale);
  EXPECT_EQ(loaded->info.parameters, source.info.parameters);
  EXPECT_EQ(loaded->input_multiple(), source.input_multiple());
  for (const ConvLayer& conv : loaded->graph.convs) EXPECT_TRUE(conv.weight.empty());

  const Tensor expected = run(source);
  const Tensor actual = run(*loaded);
  ASSERT_EQ(actual.shape, expected.shape);
  EXPECT_EQ(actual.data, expected.data);  // bit for bit
}

INSTANTIATE_TEST_SUITE_P(TinyModels, EngineRoundTripTest,
                         ::testing::Values("rrdb_x4.param", "rrdb_x2.pth", "rrdb_x1.safetensors",
                                           "srvgg_prelu_x4.param", "srvgg_relu_x2.fp32.param"),
                         [](const auto& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

TEST_F(EngineFileTest, Bf16EngineRunsBitForBitLikeTheBf16Model) {
  if (!cpu::cpu_has_bf16()) GTEST_SKIP() << "this CPU lacks AVX512-BF16";
  const RunnableModel source = compiled("srvgg_prelu_x4.param", Precision::kBf16);
  const fs::path engine = path("bf16.engine");
  ASSERT_TRUE(write_engine(source, std::nullopt, engine).is_ok());
  auto loaded = load_engine(engine, {.threads = 2});
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->precision, Precision::kBf16);
  EXPECT_EQ(run(*loaded).data, run(source).data);
}

TEST_F(EngineFileTest, HeaderRecordsWhatItWasBuiltFrom) {
  const fs::path p = write_rrdb_engine();
  auto engine = read_engine_file(p);
  ASSERT_TRUE(engine.is_ok()) << engine.status().message();
  const EngineHeader& h = engine->header;
  EXPECT_EQ(h.backend, "cpu");
  EXPECT_EQ(h.target, cpu::cpu_target());
  EXPECT_EQ(h.producer, std::string("real-esrgan-serve ") + RESR_VERSION);
  EXPECT_EQ(h.model.arch, "RRDBNet");
  EXPECT_EQ(h.model.format, "ncnn");
  EXPECT_FALSE(h.tile_profile.has_value());
  // ncnn: the .param's digest, then the .bin's.
  EXPECT_EQ(h.source_sha256,
            *sha256_file(kGolden / "rrdb_x4.param") + " " + *sha256_file(kGolden / "rrdb_x4.bin"));
}

TEST_F(EngineFileTest, RefusesAFileThatIsNotAnEngine) {
  expect_refused(kGolden / "rrdb_x4.param", ErrorCode::kInvalidModel,
                 {"rrdb_x4.param", "is not a real-esrgan-serve engine file", "RESRENGN"});
}

TEST_F(EngineFileTest, RefusesAMissingFile) {
  expect_refused(path("absent.engine"), ErrorCode::kNotFound, {"absent.engine"});
}

TEST_F(EngineFileTest, RefusesATruncatedEngine) {
  const fs::path p = write_rrdb_engine();
  const std::string bytes = bytes_of(p);
  for (size_t keep : {size_t{12}, size_t{40}, bytes.size() / 2, bytes.size() - 1}) {
    put_bytes(p, bytes.substr(0, keep));
    expect_refused(p, ErrorCode::kInvalidModel,
                   {"rrdb.engine", "is truncated", "rebuild it with `real-esrgan-serve build"});
  }
}

TEST_F(EngineFileTest, RefusesAnEngineWithAFlippedByte) {
  const fs::path p = write_rrdb_engine();
  const std::string bytes = bytes_of(p);
  // In the header's JSON, in the padding or payload, and in the checksum itself.
  for (size_t at : {size_t{40}, bytes.size() / 2, bytes.size() - 70, bytes.size() - 3}) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    put_bytes(p, flipped);
    expect_refused(p, ErrorCode::kChecksumMismatch,
                   {"rrdb.engine", "is corrupted", "SHA-256", "rebuild it"});
  }
}

TEST_F(EngineFileTest, RefusesAnotherFormatVersion) {
  const fs::path p = write_rrdb_engine();
  std::string bytes = bytes_of(p);
  bytes[8] = 7;  // u32 format version at offset 8
  put_bytes(p, bytes);
  expect_refused(p, ErrorCode::kUnsupported,
                 {"has format version 7", "reads version 1", "rebuild it with"});
}

TEST_F(EngineFileTest, RefusesAnEngineBuiltForAnotherCpu) {
  const fs::path p = write_rrdb_engine();
  auto engine = read_engine_file(p);
  ASSERT_TRUE(engine.is_ok());
  engine->header.target = "oneDNN 2.6.3 avx2";
  ASSERT_TRUE(write_engine_file(p, *engine).is_ok());
  expect_refused(p, ErrorCode::kUnsupported,
                 {"was built for cpu target 'oneDNN 2.6.3 avx2'",
                  ("this machine is '" + cpu::cpu_target() + "'").c_str(), "rebuild it here"});
}

TEST_F(EngineFileTest, RefusesAnEngineForABackendThisBuildLacks) {
  const fs::path p = write_rrdb_engine();
  auto engine = read_engine_file(p);
  ASSERT_TRUE(engine.is_ok());
  engine->header.backend = "cuda";
  ASSERT_TRUE(write_engine_file(p, *engine).is_ok());
  expect_refused(p, ErrorCode::kUnavailable, {"backend 'cuda' is not available"});
}

TEST_F(EngineFileTest, RefusesPackedWeightsInALayoutThisMachineDoesNotPick) {
  // Same target string, other layout: what a different oneDNN build could do.
  const fs::path p = write_rrdb_engine();
  auto engine = read_engine_file(p);
  ASSERT_TRUE(engine.is_ok());
  PackedBlobs tampered;
  for (const PackedBlobs::Entry& e : engine->blobs.entries()) {
    std::vector<std::byte> bytes(engine->blobs.bytes().begin() + e.offset,
                                 engine->blobs.bytes().begin() + e.offset + e.size);
    if (e.name == "conv0.weights.desc") bytes[8] ^= std::byte{1};  // dims[0]: another shape
    tampered.add(e.name, bytes);
  }
  engine->blobs = std::move(tampered);
  ASSERT_TRUE(write_engine_file(p, *engine).is_ok());
  expect_refused(p, ErrorCode::kUnsupported,
                 {"conv 'conv_first'", "not the one oneDNN picks on this machine", "rebuild"});
}

TEST_F(EngineFileTest, RefusesAnEngineMissingABlob) {
  const fs::path p = write_rrdb_engine();
  auto engine = read_engine_file(p);
  ASSERT_TRUE(engine.is_ok());
  PackedBlobs fewer;
  for (const PackedBlobs::Entry& e : engine->blobs.entries()) {
    if (e.name == "conv3.bias") continue;
    fewer.add(e.name, engine->blobs.bytes().subspan(e.offset, e.size));
  }
  engine->blobs = std::move(fewer);
  ASSERT_TRUE(write_engine_file(p, *engine).is_ok());
  expect_refused(p, ErrorCode::kInvalidModel, {"lack blob 'conv3.bias'"});
}

// get<int>() of a float out of int's range (1e30) was undefined behaviour.
TEST_F(EngineFileTest, RefusesAFloatOrAnOutOfRangeNumberForAnInteger) {
  const fs::path p = write_rrdb_engine();
  const std::string bytes = bytes_of(p);
  edit_header(p, [](nlohmann::json&) {});
  ASSERT_TRUE(load_engine(p, {.threads = 2}).is_ok());  // editing alone changes nothing
  using Edit = std::function<void(nlohmann::json&)>;
  for (const Edit& edit : std::vector<Edit>{
           [](nlohmann::json& h) { h["model"]["scale"] = 1e30; },
           [](nlohmann::json& h) { h["model"]["parameters"] = -1e300; },
           [](nlohmann::json& h) {
             h["tile_profile"] = {{"min", 32}, {"opt", 64}, {"max", 1e10}};
           },
           [](nlohmann::json& h) { h["blobs"][0]["size"] = 1e20; },
       }) {
    put_bytes(p, bytes);
    edit_header(p, edit);
    expect_refused(p, ErrorCode::kInvalidModel,
                   {"rrdb.engine", "has a malformed header", "expected an integer"});
  }
  for (const Edit& edit : std::vector<Edit>{
           [](nlohmann::json& h) { h["graph"]["scale"] = int64_t{1} << 40; },
           [](nlohmann::json& h) { h["graph"]["nodes"][1]["inputs"] = {1e30}; },
           [](nlohmann::json& h) { h["graph"]["convs"][0]["kernel"] = 3.0; },
       }) {
    put_bytes(p, bytes);
    edit_header(p, edit);
    expect_refused(p, ErrorCode::kInvalidModel,
                   {"the engine's graph is malformed", "expected an integer"});
  }
}

TEST(GraphStructure, RoundTripsEveryFieldButTheWeights) {
  auto model = load_model(kGolden / "srvgg_prelu_x4.param");
  ASSERT_TRUE(model.is_ok());
  const Graph& g = (*model)->graph;
  auto back = graph_structure_from_json(graph_structure_to_json(g));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back->scale, g.scale);
  ASSERT_EQ(back->convs.size(), g.convs.size());
  for (size_t i = 0; i < g.convs.size(); ++i) {
    EXPECT_EQ(back->convs[i].name, g.convs[i].name);
    EXPECT_EQ(back->convs[i].in_channels, g.convs[i].in_channels);
    EXPECT_EQ(back->convs[i].out_channels, g.convs[i].out_channels);
    EXPECT_EQ(back->convs[i].activation, g.convs[i].activation);
    EXPECT_EQ(back->convs[i].prelu_slopes, g.convs[i].prelu_slopes);
    EXPECT_TRUE(back->convs[i].weight.empty());
  }
  ASSERT_EQ(back->nodes.size(), g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    EXPECT_EQ(back->nodes[i].kind, g.nodes[i].kind);
    EXPECT_EQ(back->nodes[i].inputs, g.nodes[i].inputs);
    EXPECT_EQ(back->nodes[i].factor, g.nodes[i].factor);
    EXPECT_EQ(back->nodes[i].alpha, g.nodes[i].alpha);
    EXPECT_EQ(back->nodes[i].channels, g.nodes[i].channels);
  }
  auto bad = graph_structure_from_json(nlohmann::json{{"scale", 4}, {"convs", 3}});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidModel);
}

TEST(TileProfile, ParsesAndKeepsTilesWithinIt) {
  auto p = parse_tile_profile("64:256:512");
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(*p, (TileProfile{64, 256, 512}));
  EXPECT_EQ(to_string(*p), "64:256:512");
  EXPECT_EQ(tile_for(*p, 0, 999), 256);     // default: OPT
  EXPECT_EQ(tile_for(*p, 1024, 999), 512);  // kept within MAX
  EXPECT_EQ(tile_for(*p, 20, 999), 64);     // and MIN
  EXPECT_EQ(tile_for(*p, 300, 999), 300);
  EXPECT_EQ(tile_for(std::nullopt, 0, 999), 999);
  EXPECT_EQ(tile_for(std::nullopt, 300, 999), 300);
  for (const char* bad : {"", "64:256", "64:256:512:1", "a:b:c", "8:256:512", "64:32:512",
                          "64:256:128", "64:256:512x"}) {
    auto r = parse_tile_profile(bad);
    ASSERT_FALSE(r.is_ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("MIN:OPT:MAX"), std::string::npos);
  }
}

}  // namespace
}  // namespace resr
