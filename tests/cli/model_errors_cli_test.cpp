// Every kind of bad model file, through the real binary: the documented exit
// code and a message that names the file and says what is wrong.
#include <gtest/gtest.h>

#include <fstream>

#include "core/scratch_directory.hpp"
#include "resr/status.hpp"
#include "support/run_binary.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
const fs::path kData = RESR_TEST_DATA;

struct BadModel {
  std::string name;
  std::function<fs::path(const fs::path& dir)> make;  // writes the file, returns its path
  ErrorCode code;
  std::vector<std::string> message_parts;
};

fs::path write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string head_of(const fs::path& file, size_t n) {
  return testing::read_whole_file(file.string()).substr(0, n);
}

std::vector<BadModel> bad_models() {
  return {
      {"missing",
       [](const fs::path& d) { return d / "nothere.pth"; },
       ErrorCode::kNotFound,
       {"nothere.pth", "no such file", "known models"}},
      {"zero_bytes",
       [](const fs::path& d) { return write_bytes(d / "empty.pth", ""); },
       ErrorCode::kInvalidModel,
       {"empty.pth", "empty (0 bytes)"}},
      {"truncated_pth",
       [](const fs::path& d) {
         return write_bytes(d / "cut.pth", head_of(kData / "golden/rrdb_x4.pth", 50000));
       },
       ErrorCode::kInvalidModel,
       {"cut.pth", "truncated"}},
      {"garbage",
       [](const fs::path& d) { return write_bytes(d / "noise.onnx", std::string(3000, '\x17')); },
       ErrorCode::kInvalidModel,
       {"noise.onnx", "not a model file"}},
      {"image_as_model",
       [](const fs::path&) { return kData / "images/sample.png"; },
       ErrorCode::kInvalidModel,
       {"sample.png", "not a model file"}},
      {"ncnn_without_bin",
       [](const fs::path& d) {
         fs::copy_file(kData / "golden/srvgg_prelu_x4.param", d / "lonely.param");
         return d / "lonely.param";
       },
       ErrorCode::kNotFound,
       {"lonely.param", "lonely.bin", "does not exist"}},
      {"ncnn_bin_truncated",
       [](const fs::path& d) {
         fs::copy_file(kData / "golden/rrdb_x4.param", d / "short.param");
         write_bytes(d / "short.bin", head_of(kData / "golden/rrdb_x4.bin", 20000));
         return d / "short.param";
       },
       ErrorCode::kInvalidModel,
       {"short.param", "too short", "truncated"}},
      {"ncnn_bin_of_another_model",
       [](const fs::path& d) {
         fs::copy_file(kData / "golden/rrdb_x4.param", d / "mixed.param");
         fs::copy_file(kData / "golden/srvgg_prelu_x4.bin", d / "mixed.bin");
         return d / "mixed.param";
       },
       ErrorCode::kInvalidModel,
       {"mixed.param"}},
      {"safetensors_header_overflow",
       [](const fs::path& d) {
         return write_bytes(d / "huge.safetensors",
                            std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10));
       },
       ErrorCode::kInvalidModel,
       {"huge.safetensors", "header length", "larger than the file"}},
      {"pickle_with_code",
       [](const fs::path&) { return kData / "formats/evil_global.pth"; },
       ErrorCode::kInvalidModel,
       {"evil_global.pth", "disallowed global 'os.system'", "nothing was executed"}},
      {"srvgg_activation_unknown",
       [](const fs::path&) { return kData / "golden/srvgg_relu_x2.pth"; },
       ErrorCode::kInvalidModel,
       {"srvgg_relu_x2.pth", "--srvgg-activation"}},
      {"not_a_state_dict",
       [](const fs::path&) { return kData / "formats/not_a_dict.pth"; },
       ErrorCode::kInvalidModel,
       {"not_a_dict.pth", "state dict"}},
  };
}

class BadModelCliTest : public ::testing::TestWithParam<BadModel> {};

TEST_P(BadModelCliTest, ExitsWithItsCodeAndAClearMessage) {
  auto dir = ScratchDirectory::create("resr-badmodel");
  ASSERT_TRUE(dir.is_ok());
  const fs::path model = GetParam().make(dir->path());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"models", "info", "-m", model.string()},
        std::vector<std::string>{"-i", (kData / "images/sample.png").string(), "-o",
                                 (dir->path() / "out.png").string(), "-m", model.string()}}) {
    auto r = testing::run_binary(args);
    EXPECT_EQ(r.exit_code, exit_code_for(GetParam().code)) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    for (const std::string& part : GetParam().message_parts)
      EXPECT_NE(r.err.find(part), std::string::npos) << "missing '" << part << "' in: " << r.err;
    EXPECT_FALSE(fs::exists(dir->path() / "out.png"));  // nothing half-written
  }
}

INSTANTIATE_TEST_SUITE_P(EveryKind, BadModelCliTest, ::testing::ValuesIn(bad_models()),
                         [](const auto& info) { return info.param.name; });

TEST(ModelInfoCli, ReportsArchitectureScaleParametersAndFlops) {
  auto r = testing::run_binary(
      {"models", "info", "--json", "-m", (kData / "golden/rrdb_x2.pth").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part :
       {"\"arch\": \"RRDBNet\"", "\"scale\": 2", "\"num_block\": 1", "\"num_feat\": 8",
        "\"num_grow\": 4", "\"format\": \"pth\"", "\"flops_per_pixel\""})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << " in " << r.out;
}

}  // namespace
}  // namespace resr
