// Every tiny model in every format, loaded and run by each backend, against
// PyTorch's outputs (tools/fixtures/make_golden_models.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backend/backend.hpp"
#include "model/model.hpp"
#include "support/tensor_files.hpp"

namespace resr {
namespace {

const std::string kDir = std::string(RESR_TEST_DATA) + "/golden/";

Tensor read_f32(const std::string& file, const nlohmann::json& shape) {
  return testing::read_f32(kDir + file, shape.get<std::vector<int64_t>>());
}

using testing::max_abs_diff;

struct GoldenCase {
  nlohmann::json c;
  std::string format;
};

std::vector<GoldenCase> all_cases() {
  std::ifstream in(kDir + "manifest.json");
  nlohmann::json manifest = nlohmann::json::parse(in);
  std::vector<GoldenCase> cases;
  for (const auto& c : manifest["cases"])
    for (const auto& [format, file] : c["files"].items()) cases.push_back({c, format});
  return cases;
}

class GoldenModelTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenModelTest, LoadsWithTheRightArchitectureAndMatchesPyTorch) {
  const nlohmann::json& c = GetParam().c;
  const std::string file = kDir + c["files"][GetParam().format].get<std::string>();
  LoadOptions options;
  // A state dict cannot say ReLU from LeakyReLU; the user states it.
  if (c.value("activation", "") != "prelu" && GetParam().format != "onnx" &&
      GetParam().format != "ncnn") {
    options.srvgg_activation = c.value("activation", "");
  }
  auto model = load_model(file, options);
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  const ModelInfo& info = (*model)->info;
  EXPECT_EQ(info.arch, c["arch"]);
  EXPECT_EQ(info.scale, c["scale"]);
  EXPECT_EQ(info.parameters, c["parameters"]);
  EXPECT_EQ(info.num_feat, c["num_feat"]);
  if (info.arch == "RRDBNet") {
    EXPECT_EQ(info.num_block, c["num_block"]);
    EXPECT_EQ(info.num_grow, c["num_grow"]);
  } else {
    EXPECT_EQ(info.num_conv, c["num_conv"]);
    EXPECT_EQ(info.activation.substr(0, c["activation"].get<std::string>().size()),
              c["activation"]);
  }

  const Tensor input = read_f32(c["input"], c["input_shape"]);
  const Tensor expected = read_f32(c["output"], c["output_shape"]);
  for (const auto& [backend_name, tolerance] :
       std::vector<std::pair<std::string, float>>{{"reference", 1e-5f}, {"cpu", 1e-4f}}) {
    auto backend = make_backend(backend_name);
    ASSERT_TRUE(backend.is_ok()) << backend.status().message();
    auto compiled = (*backend)->compile((*model)->graph, {});
    ASSERT_TRUE(compiled.is_ok()) << compiled.status().message();
    auto out = (*compiled)->new_session()->run(input);
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    EXPECT_LE(max_abs_diff(*out, expected), tolerance) << backend_name;
  }
}

INSTANTIATE_TEST_SUITE_P(AllFormats, GoldenModelTest, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& info) {
                           std::string n =
                               info.param.c["name"].get<std::string>() + "_" + info.param.format;
                           for (char& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(GoldenModel, SrvggStateDictWithoutPReluAsksWhichActivation) {
  auto model = load_model(kDir + "srvgg_relu_x2.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), ErrorCode::kInvalidModel);
  EXPECT_NE(model.status().message().find("--srvgg-activation"), std::string::npos);
  EXPECT_NE(model.status().message().find("srvgg_relu_x2.pth"), std::string::npos);
}

TEST(GoldenModel, SameInputGivesByteIdenticalOutputAcrossSessions) {
  auto model = load_model(kDir + "rrdb_x4.pth");
  ASSERT_TRUE(model.is_ok());
  const Tensor input = read_f32("rrdb_x4.input.f32", nlohmann::json::array({3, 11, 13}));
  for (const std::string name : {"reference", "cpu"}) {
    auto backend = make_backend(name);
    ASSERT_TRUE(backend.is_ok());
    auto first = (*(*backend)->compile((*model)->graph, {}))->new_session()->run(input);
    auto second = (*(*backend)->compile((*model)->graph, {}))->new_session()->run(input);
    ASSERT_TRUE(first.is_ok() && second.is_ok());
    EXPECT_EQ(first->data, second->data) << name;
  }
}

}  // namespace
}  // namespace resr
