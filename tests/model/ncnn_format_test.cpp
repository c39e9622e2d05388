#include "model/formats/ncnn_format.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "model/zoo/model_catalog.hpp"
#include "model/zoo/model_directory.hpp"
#include "support/graph_format_fixtures.hpp"

namespace resr {
namespace {

using testing::expect_error;

using testing::graph_fixture_cases;
using testing::read_graph_fixture;
using testing::read_graph_fixture_text;

Result<LoadedWeights> load(const std::string& param, const std::vector<uint8_t>& bin) {
  return load_ncnn(param, bin, "model.param");
}

std::string bin_name(const std::string& param_file) {
  return param_file.substr(0, param_file.size() - 6) + ".bin";
}

// Replaces the first occurrence of `from`, which must be there.
std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

class NcnnFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NcnnFixtureTest, LoadsTheTorchWeightsUnderBasicsrNames) {
  const std::string file = GetParam();
  const std::vector<uint8_t> param = read_graph_fixture(file);
  ASSERT_TRUE(looks_like_ncnn_param(param));
  auto weights = load(read_graph_fixture_text(file), read_graph_fixture(bin_name(file)));
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  testing::expect_graph_fixture_weights(file, *weights);
}

INSTANTIATE_TEST_SUITE_P(GraphFormats, NcnnFixtureTest,
                         ::testing::ValuesIn(testing::graph_fixtures_of_format("ncnn")),
                         [](const auto& info) { return testing::fixture_test_name(info.param); });

TEST(NcnnFormat, RecognisesTheMagicLine) {
  auto bytes = [](const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); };
  EXPECT_TRUE(looks_like_ncnn_param(bytes("7767517\n1 1\n")));
  EXPECT_TRUE(looks_like_ncnn_param(bytes("\xEF\xBB\xBF  7767517\r\n1 1\r\n")));
  EXPECT_FALSE(looks_like_ncnn_param(bytes("77675170\n")));
  EXPECT_FALSE(looks_like_ncnn_param(bytes("")));
  EXPECT_FALSE(looks_like_ncnn_param(read_graph_fixture("rrdb_x4_opset11.onnx")));
}

// Each damage below is made to a good fixture, so only that damage can fail it.
class NcnnDamagedFileTest : public ::testing::Test {
 protected:
  const std::string param_ = read_graph_fixture_text("srvgg_prelu_x4_fp16.param");
  const std::vector<uint8_t> bin_ = read_graph_fixture("srvgg_prelu_x4_fp16.bin");
};

TEST_F(NcnnDamagedFileTest, TheUndamagedFileLoads) { ASSERT_TRUE(load(param_, bin_).is_ok()); }

TEST_F(NcnnDamagedFileTest, WrongMagic) {
  expect_error(load(replace(param_, "7767517", "7767518"), bin_), ErrorCode::kInvalidModel,
               {"model.param", "line 1", "magic number 7767517"});
}

TEST_F(NcnnDamagedFileTest, TruncatedLayerLine) {
  // The last layer loses its output blob name and parameters.
  const std::string cut = param_.substr(0, param_.rfind(" output"));
  expect_error(load(cut, bin_), ErrorCode::kInvalidModel,
               {"line 14", "'BinaryOp_10'", "names 2 input and 1 output blobs", "ends after 2"});
}

TEST_F(NcnnDamagedFileTest, LayerCountMismatch) {
  expect_error(load(replace(param_, "12 13", "13 13"), bin_), ErrorCode::kInvalidModel,
               {"line 2", "declares 13 layers but 12 layer lines follow"});
}

TEST_F(NcnnDamagedFileTest, MoreBlobsThanDeclared) {
  expect_error(load(replace(param_, "12 13", "12 12"), bin_), ErrorCode::kInvalidModel,
               {"declares 12 blobs but 13 are produced"});
}

TEST_F(NcnnDamagedFileTest, BinTooShort) {
  std::vector<uint8_t> cut(bin_.begin(), bin_.end() - 10);
  // The last Convolution (48 x 4 x 3 x 3) is followed by its 48 float32 biases.
  expect_error(load(param_, cut), ErrorCode::kInvalidModel,
               {"(.bin)", "too short", "the bias of Convolution 'Convolution_7'", "needs 192 bytes",
                "has 182 left"});
}

TEST_F(NcnnDamagedFileTest, BinTooLong) {
  std::vector<uint8_t> longer = bin_;
  longer.resize(bin_.size() + 8);
  expect_error(load(param_, longer), ErrorCode::kInvalidModel,
               {"8 bytes left after the last weight", "does not belong to this .param"});
}

TEST_F(NcnnDamagedFileTest, UnknownWeightTag) {
  std::vector<uint8_t> bin = bin_;
  const uint32_t tag = 0x12345678;
  std::memcpy(bin.data(), &tag, 4);
  expect_error(load(param_, bin), ErrorCode::kInvalidModel,
               {"weight of Convolution 'Convolution_1' at byte 0", "storage tag 0x12345678"});
}

TEST_F(NcnnDamagedFileTest, Int8WeightsAreRefused) {
  std::vector<uint8_t> bin = bin_;
  const uint32_t tag = 0x000D4B38;
  std::memcpy(bin.data(), &tag, 4);
  expect_error(load(param_, bin), ErrorCode::kUnsupported, {"int8", "float32 or float16"});
}

TEST_F(NcnnDamagedFileTest, Float32TagReadsFourBytesPerWeight) {
  // Same .param, first weight re-stored as tagged float32: the file grows by
  // 108 * 2 bytes and still loads to the same values.
  std::vector<uint8_t> bin(4, 0);
  auto ref = load(param_, bin_);
  ASSERT_TRUE(ref.is_ok());
  const std::vector<float>& w = ref->tensors.at("body.0.weight").data;
  const auto* raw = reinterpret_cast<const uint8_t*>(w.data());
  bin.insert(bin.end(), raw, raw + w.size() * 4);
  bin.insert(bin.end(), bin_.begin() + 4 + 108 * 2, bin_.end());
  auto weights = load(param_, bin);
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  EXPECT_EQ(weights->tensors.at("body.0.weight").data, w);
}

TEST_F(NcnnDamagedFileTest, UnsupportedLayerType) {
  expect_error(
      load(replace(param_, "PixelShuffle ", "Softmax      "), bin_), ErrorCode::kUnsupported,
      {"line 12", "'PixelShuffle_8' has type 'Softmax'", "only Input, Split, Convolution"});
}

TEST_F(NcnnDamagedFileTest, BlobNobodyProduces) {
  expect_error(load(replace(param_, " 1 1 6 7 ", " 1 1 66 7 "), bin_), ErrorCode::kInvalidModel,
               {"line 11", "reads blob '66', which no earlier layer produces"});
}

TEST_F(NcnnDamagedFileTest, StridedConvolution) {
  expect_error(load(replace(param_, "6=144", "6=144 3=2"), bin_), ErrorCode::kUnsupported,
               {"Convolution 'Convolution_3'", "stride"});
}

TEST_F(NcnnDamagedFileTest, BadParameterSyntax) {
  expect_error(load(replace(param_, "0=48", "0=4x8"), bin_), ErrorCode::kInvalidModel,
               {"line 11", "'4x8' in '0=4x8' is not a number"});
  expect_error(load(replace(param_, "0=48", "-23300=2,48"), bin_), ErrorCode::kInvalidModel,
               {"does not hold the number of values it announces"});
}

// The smallest int is an array key (<= -23300) whose negation overflows.
TEST_F(NcnnDamagedFileTest, ArrayKeyAtTheIntLimit) {
  expect_error(load(replace(param_, "0=48", "-2147483648=0"), bin_), ErrorCode::kInvalidModel,
               {"line 11", "parameter key in '-2147483648=0' is out of range"});
}

// Found by fuzz_ncnn_param: a Convolution that reads no blob once read past
// the end of its inputs.
TEST_F(NcnnDamagedFileTest, ConvolutionWithoutInput) {
  expect_error(load(replace(param_, "1 1 data_splitncnn_0 1 0=4", "0 1 1 0=4"), bin_),
               ErrorCode::kInvalidModel,
               {"Convolution 'Convolution_1'", "has 0 inputs and 1 outputs; expected 1 and 1"});
}

TEST_F(NcnnDamagedFileTest, WeightCountThatIsNoConvolutionShape) {
  expect_error(load(replace(param_, "6=1728", "6=1727"), bin_), ErrorCode::kInvalidModel,
               {"weight count 1727", "outputs x inputs x kernel x kernel"});
}

TEST_F(NcnnDamagedFileTest, ChannelsThatDoNotChain) {
  // body.2 declared 8 -> 2 channels: the same 144 weights, 2 biases instead of
  // 4, so the .bin still fits exactly and only the structure can tell.
  std::vector<uint8_t> bin = bin_;
  const size_t body2_bias = (4 + 108 * 2) + 4 * 4 + 4 * 4 + (4 + 144 * 2);
  bin.erase(bin.begin() + body2_bias + 8, bin.begin() + body2_bias + 16);
  expect_error(load(replace(param_, "0=4 1=3 4=1 5=1 6=144", "0=2 1=3 4=1 5=1 6=144"), bin),
               ErrorCode::kUnsupported,
               {"looks like SRVGGNetCompact (2 convs, 4 features, PReLU, x4)",
                "Convolution 'Convolution_3' (line 7) (a convolution 8 -> 2 channels)",
                "expected conv 'body.2' with 4 -> 4 channels"});
}

TEST_F(NcnnDamagedFileTest, ResidualThatIsNotRealEsrgans) {
  const std::string rrdb = read_graph_fixture_text("rrdb_x4_fp16.param");
  const std::vector<uint8_t> bin = read_graph_fixture("rrdb_x4_fp16.bin");
  ASSERT_TRUE(load(rrdb, bin).is_ok());
  expect_error(load(replace(rrdb, "-23301=2,2.000000e-01", "-23301=2,3.000000e-01"), bin),
               ErrorCode::kUnsupported,
               {"looks like RRDBNet (2 blocks, 4 features, growth 2, x4) but is not one",
                "a sum 0.3 * a + 1 * b", "expected a sum 0.2 * a + 1 * b"});
  expect_error(load(replace(rrdb, "-23310=1,2.000000e-01", "-23310=1,1.000000e-01"), bin),
               ErrorCode::kUnsupported, {"LeakyReLU(0.1)", "as everywhere else"});
}

// realesr-animevideov3-x2/x3.param are the x4 graph plus a bicubic downscale.
TEST_F(NcnnDamagedFileTest, TrailingDownscaleNamesTheWayOut) {
  std::string x2 = replace(param_, "12 13", "13 14");
  x2 = replace(x2, "8 9 output", "8 9 10");
  x2 +=
      "Interp           Resize_40                1 1 10 output 0=3 1=5.000000e-01 "
      "2=5.000000e-01\n";
  expect_error(load(x2, bin_), ErrorCode::kUnsupported,
               {"ends with layer Interp 'Resize_40' (line 15)", "resize by 0.5",
                "-x4 file, with the same .bin", "output scale"});
}

// The real converted models, when installed (models fetch, or the npm
// packages' files): $REAL_ESRGAN_MODELS, else the checkout's models/.
std::filesystem::path real_models_directory() {
  const char* env = std::getenv(kModelsDirEnv);
  return env && *env ? std::filesystem::path(env)
                     : std::filesystem::path(RESR_SOURCE_DIR) / "models";
}

struct RealModel {
  const char* name;
  int declared_layers;  // second line of the .param
  size_t convs;
  size_t prelus;
  int64_t parameters;
  Activation activation;
  std::vector<std::pair<const char*, std::vector<int64_t>>> shapes;
};

const std::vector<RealModel>& real_models() {
  static const std::vector<RealModel> models = {
      {"realesrgan-x4plus",
       999,
       351,
       0,
       16697987,
       Activation::kLeakyRelu,
       {{"conv_first.weight", {64, 3, 3, 3}},
        {"body.22.rdb3.conv5.weight", {64, 192, 3, 3}},
        {"conv_last.weight", {3, 64, 3, 3}}}},
      {"realesr-general-x4v3",
       72,
       34,
       33,
       1213296,
       Activation::kPRelu,
       {{"body.0.weight", {64, 3, 3, 3}},
        {"body.65.weight", {64}},
        {"body.66.weight", {48, 64, 3, 3}}}},
      {"realesr-animevideov3",
       40,
       18,
       17,
       621424,
       Activation::kPRelu,
       {{"body.1.weight", {64}}, {"body.34.weight", {48, 64, 3, 3}}}},
      {"realesrgan-x4plus-anime",
       268,
       96,
       0,
       4467779,
       Activation::kLeakyRelu,
       {{"body.5.rdb3.conv5.weight", {64, 192, 3, 3}}, {"conv_hr.bias", {64}}}},
  };
  return models;
}

class RealNcnnModelTest : public ::testing::TestWithParam<RealModel> {};

TEST_P(RealNcnnModelTest, LoadsEveryConvolutionOfTheConvertedModel) {
  const RealModel& want = GetParam();
  auto catalog = find_catalog_model(want.name);
  ASSERT_TRUE(catalog.is_ok()) << catalog.status().message();
  const std::filesystem::path dir = real_models_directory();
  auto state = check_installed_model(dir, **catalog);
  ASSERT_TRUE(state.is_ok()) << state.status().message();
  if (*state == InstallState::kNotInstalled) {
    GTEST_SKIP() << want.name << " is not in " << dir
                 << "; `real-esrgan-serve models fetch` installs it";
  }
  ASSERT_EQ(*state, InstallState::kInstalled)
      << want.name << " in " << dir << " does not match its sha256";
  std::ifstream pin(installed_path(dir, (*catalog)->param), std::ios::binary);
  const std::string param{std::istreambuf_iterator<char>(pin), {}};
  std::ifstream bin_in(installed_path(dir, (*catalog)->bin), std::ios::binary);
  const std::vector<uint8_t> bin{std::istreambuf_iterator<char>(bin_in), {}};
  std::istringstream header(param);
  int magic = 0, layers = 0;
  header >> magic >> layers;
  EXPECT_EQ(layers, want.declared_layers);

  auto weights = load_ncnn(param, bin, want.name);
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  EXPECT_EQ(weights->activation, want.activation);
  if (want.activation == Activation::kLeakyRelu) {
    EXPECT_FLOAT_EQ(weights->negative_slope, 0.2f);
  }
  EXPECT_EQ(weights->tensors.size(), 2 * want.convs + want.prelus);
  int64_t parameters = 0;
  for (const auto& [name, t] : weights->tensors) {
    parameters += static_cast<int64_t>(t.numel());
    for (float v : t.data) ASSERT_TRUE(std::isfinite(v) && std::fabs(v) < 100) << name << " " << v;
  }
  EXPECT_EQ(parameters, want.parameters);
  for (const auto& [name, shape] : want.shapes) {
    ASSERT_TRUE(weights->tensors.count(name)) << name;
    EXPECT_EQ(weights->tensors.at(name).shape, shape) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Catalog, RealNcnnModelTest, ::testing::ValuesIn(real_models()),
                         [](const auto& info) {
                           return testing::fixture_test_name(info.param.name);
                         });

}  // namespace
}  // namespace resr
