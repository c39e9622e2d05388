#include "model/formats/onnx/onnx_format.hpp"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "support/graph_format_fixtures.hpp"

namespace resr {
namespace {

using testing::expect_error;

using testing::read_graph_fixture;

Result<LoadedWeights> load(const std::vector<uint8_t>& bytes) {
  return load_onnx(bytes, "model.onnx");
}

class OnnxFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxFixtureTest, LoadsTheTorchWeightsUnderBasicsrNames) {
  const std::vector<uint8_t> bytes = read_graph_fixture(GetParam());
  ASSERT_TRUE(looks_like_onnx(bytes));
  auto weights = load(bytes);
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  testing::expect_graph_fixture_weights(GetParam(), *weights);
}

INSTANTIATE_TEST_SUITE_P(GraphFormats, OnnxFixtureTest,
                         ::testing::ValuesIn(testing::graph_fixtures_of_format("onnx")),
                         [](const auto& info) { return testing::fixture_test_name(info.param); });

TEST(OnnxFormat, LooksLikeOnnxOnlyForOnnx) {
  const std::string text = "7767517\n";
  EXPECT_FALSE(looks_like_onnx(std::vector<uint8_t>(text.begin(), text.end())));
  EXPECT_FALSE(looks_like_onnx(std::vector<uint8_t>{0x08}));
  EXPECT_FALSE(looks_like_onnx(std::vector<uint8_t>{'P', 'K', 3, 4}));
}

TEST(OnnxFormat, GarbageIsNotAnOnnxFile) {
  const std::string junk = "\x08\x07this is not a protobuf \xff\xff\xff\xff\xff\xff\xff\xff\xff";
  expect_error(load(std::vector<uint8_t>(junk.begin(), junk.end())), ErrorCode::kInvalidModel,
               {"model.onnx", "not a valid ONNX file"});
  const std::vector<uint8_t> whole = read_graph_fixture("srvgg_relu_x2_opset9.onnx");
  const std::vector<uint8_t> half(whole.begin(), whole.begin() + whole.size() / 2);
  auto r = load(half);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidModel) << r.status().message();
}

// Each damage below is made to a good fixture through the protobuf API, so
// only that damage can fail it.
class OnnxDamagedModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<uint8_t> bytes = read_graph_fixture("rrdb_x4_opset11.onnx");
    ASSERT_TRUE(model_.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  }

  Result<LoadedWeights> load_model() {
    std::string bytes;
    EXPECT_TRUE(model_.SerializeToString(&bytes));
    return load(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  }

  onnx::GraphProto& graph() { return *model_.mutable_graph(); }

  onnx::NodeProto& first_node(const std::string& op) {
    for (onnx::NodeProto& n : *graph().mutable_node()) {
      if (n.op_type() == op) return n;
    }
    ADD_FAILURE() << "no " << op << " node";
    return *graph().mutable_node(0);
  }

  onnx::TensorProto& initializer(const std::string& name) {
    for (onnx::TensorProto& t : *graph().mutable_initializer()) {
      if (t.name() == name) return t;
    }
    ADD_FAILURE() << "no initializer " << name;
    return *graph().mutable_initializer(0);
  }

  onnx::ModelProto model_;
};

TEST_F(OnnxDamagedModelTest, TheUndamagedModelLoads) {
  auto r = load_model();
  ASSERT_TRUE(r.is_ok()) << r.status().message();
}

TEST_F(OnnxDamagedModelTest, UnsupportedOperator) {
  first_node("LeakyRelu").set_op_type("Softmax");
  expect_error(load_model(), ErrorCode::kUnsupported,
               {"ONNX model 'model.onnx'", "(Softmax) is not a supported operator",
                "only Conv, LeakyRelu, PRelu, Relu, Add, Mul, Concat, Resize/Upsample (nearest)"});
}

TEST_F(OnnxDamagedModelTest, InitializerDimsThatDoNotMatchItsData) {
  initializer("conv_first.weight").set_dims(3, 4);  // [4, 3, 3, 4]: 144 values, 108 stored
  expect_error(
      load_model(), ErrorCode::kInvalidModel,
      {"initializer 'conv_first.weight'", "dims [4, 3, 3, 4] need 576 bytes", "holds 432"});
}

TEST_F(OnnxDamagedModelTest, TypedInitializerDataThatDoesNotMatchItsDims) {
  onnx::TensorProto& bias = initializer("conv_first.bias");
  bias.clear_raw_data();
  bias.add_float_data(1.0f);
  expect_error(load_model(), ErrorCode::kInvalidModel,
               {"initializer 'conv_first.bias'", "dims [4] need 4 values, but it holds 1"});
}

TEST_F(OnnxDamagedModelTest, NegativeAndHugeDims) {
  initializer("conv_first.bias").set_dims(0, -4);
  expect_error(load_model(), ErrorCode::kInvalidModel, {"are negative or larger"});
  initializer("conv_first.bias").set_dims(0, int64_t{1} << 40);
  expect_error(load_model(), ErrorCode::kInvalidModel, {"are negative or larger"});
}

// Dims within the limit but no data for them: refused before 2 GiB of int64
// values is allocated for them.
TEST_F(OnnxDamagedModelTest, HugeDimsWithoutTheirData) {
  onnx::TensorProto& bias = initializer("conv_first.bias");
  bias.set_data_type(onnx::TensorProto::INT64);
  bias.set_dims(0, int64_t{1} << 28);
  expect_error(
      load_model(), ErrorCode::kInvalidModel,
      {"initializer 'conv_first.bias'", "dims [268435456] need 2147483648 bytes", "holds 16"});
}

TEST_F(OnnxDamagedModelTest, WeightsInAnExternalFile) {
  initializer("conv_last.weight").set_data_location(onnx::TensorProto::EXTERNAL);
  expect_error(load_model(), ErrorCode::kUnsupported,
               {"'conv_last.weight' keeps its data in an external file"});
}

TEST_F(OnnxDamagedModelTest, NodesOutOfOrder) {
  auto* nodes = graph().mutable_node();
  std::reverse(nodes->begin(), nodes->end());
  expect_error(load_model(), ErrorCode::kInvalidModel, {"topological order"});
}

TEST_F(OnnxDamagedModelTest, BilinearUpsampling) {
  for (onnx::AttributeProto& a : *first_node("Resize").mutable_attribute()) {
    if (a.name() == "mode") a.set_s("linear");
  }
  expect_error(load_model(), ErrorCode::kUnsupported,
               {"uses 'linear' interpolation; only nearest upsampling is supported"});
}

TEST_F(OnnxDamagedModelTest, NearestWithOtherPixelChoice) {
  for (onnx::AttributeProto& a : *first_node("Resize").mutable_attribute()) {
    if (a.name() == "nearest_mode") a.set_s("round_prefer_ceil");
  }
  expect_error(load_model(), ErrorCode::kUnsupported,
               {"picks pixels differently from PyTorch's nearest upsampling"});
}

TEST_F(OnnxDamagedModelTest, StridedConvolution) {
  onnx::NodeProto& conv = first_node("Conv");
  for (onnx::AttributeProto& a : *conv.mutable_attribute()) {
    if (a.name() == "strides") {
      a.clear_ints();
      a.add_ints(2);
      a.add_ints(2);
    }
  }
  expect_error(load_model(), ErrorCode::kUnsupported, {"stride 1"});
}

TEST_F(OnnxDamagedModelTest, ResidualScaleThatIsNotRealEsrgans) {
  // The first Mul's constant is RDB 1's 0.2.
  const std::string scale = first_node("Mul").input(1);
  for (onnx::NodeProto& n : *graph().mutable_node()) {
    if (n.op_type() == "Constant" && n.output(0) == scale) {
      onnx::TensorProto& t = *n.mutable_attribute(0)->mutable_t();
      const float v = 0.5f;
      t.set_raw_data(std::string(reinterpret_cast<const char*>(&v), 4));
    }
  }
  expect_error(load_model(), ErrorCode::kUnsupported,
               {"looks like RRDBNet (1 blocks, 4 features, growth 2, x4) but is not one",
                "a sum 0.5 * a + 1 * b", "residual scaling"});
}

TEST_F(OnnxDamagedModelTest, SecondOutput) {
  *graph().add_output() = graph().output(0);
  expect_error(load_model(), ErrorCode::kUnsupported, {"has 2 outputs"});
}

TEST_F(OnnxDamagedModelTest, AncientOpset) {
  model_.mutable_opset_import(0)->set_version(6);
  expect_error(load_model(), ErrorCode::kUnsupported, {"opset 6", "opset 7 or later"});
}

TEST_F(OnnxDamagedModelTest, GrayscaleInput) {
  auto* dims = graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  dims->mutable_dim(1)->set_dim_value(1);
  expect_error(load_model(), ErrorCode::kUnsupported, {"has 1 channels", "RGB"});
}

TEST_F(OnnxDamagedModelTest, ConvolutionThatDoesNotContribute) {
  // A copy of conv_last reading conv_hr's output, but not feeding the output.
  onnx::NodeProto extra;
  for (const onnx::NodeProto& n : graph().node()) {
    if (n.op_type() == "Conv") extra = n;
  }
  extra.set_name("dangling");
  extra.set_output(0, "dangling_out");
  *graph().add_node() = extra;
  expect_error(load_model(), ErrorCode::kInvalidModel,
               {"node 'dangling' (Conv) does not contribute to the output"});
}

TEST_F(OnnxDamagedModelTest, TypedFieldsReadLikeRawData) {
  auto reference = load_model();
  ASSERT_TRUE(reference.is_ok());
  // conv_first.weight as float_data; conv_last.weight as float16 in int32_data.
  const std::vector<float>& first = reference->tensors.at("conv_first.weight").data;
  onnx::TensorProto& w = initializer("conv_first.weight");
  w.clear_raw_data();
  for (float v : first) w.add_float_data(v);
  const std::vector<float>& last = reference->tensors.at("conv_last.weight").data;
  onnx::TensorProto& h = initializer("conv_last.weight");
  h.clear_raw_data();
  h.set_data_type(onnx::TensorProto::FLOAT16);
  std::vector<float> rounded;
  for (float v : last) {
    const _Float16 half = static_cast<_Float16>(v);
    uint16_t bits;
    std::memcpy(&bits, &half, 2);
    h.add_int32_data(bits);
    rounded.push_back(static_cast<float>(half));
  }
  auto weights = load_model();
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  EXPECT_EQ(weights->tensors.at("conv_first.weight").data, first);
  EXPECT_EQ(weights->tensors.at("conv_last.weight").data, rounded);
  EXPECT_NE(rounded, last);
}

// Puts before the graph's nodes the constant [1], then Concats named
// `name`1, `name`2, ...: the i-th joins copies[i - 1] copies of the one before.
void prepend_concat_chain(onnx::GraphProto& graph, const std::string& name,
                          const std::vector<int>& copies) {
  onnx::NodeProto seed;
  seed.set_op_type("Constant");
  seed.add_output(name + "0");
  onnx::AttributeProto* value = seed.add_attribute();
  value->set_name("value_ints");
  value->set_type(onnx::AttributeProto::INTS);
  value->add_ints(1);
  std::vector<onnx::NodeProto> nodes = {seed};
  for (size_t i = 1; i <= copies.size(); ++i) {
    onnx::NodeProto concat;
    concat.set_op_type("Concat");
    concat.set_name(name + std::to_string(i));
    for (int copy = 0; copy < copies[i - 1]; ++copy) {
      concat.add_input(name + std::to_string(i - 1));
    }
    concat.add_output(name + std::to_string(i));
    onnx::AttributeProto* axis = concat.add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(0);
    nodes.push_back(concat);
  }
  for (const onnx::NodeProto& n : graph.node()) nodes.push_back(n);
  graph.clear_node();
  for (const onnx::NodeProto& n : nodes) *graph.add_node() = n;
}

TEST_F(OnnxDamagedModelTest, ConstantFoldingThatExplodes) {
  // Concat(x, x) 30 times would fold 2^30 values out of a few hundred bytes.
  prepend_concat_chain(graph(), "double", std::vector<int>(30, 2));
  expect_error(load_model(), ErrorCode::kUnsupported,
               {"node 'double22' (Concat)", "constant values at load time"});
}

TEST_F(OnnxDamagedModelTest, ConcatThatRepeatsALargeValue) {
  // 2^20 values, within the limit, then a Concat of 1000 copies of them: 8 GB
  // of int64 unless it is refused before it is built.
  prepend_concat_chain(graph(), "repeat", {1024, 1024, 1000});
  expect_error(load_model(), ErrorCode::kUnsupported,
               {"node 'repeat3' (Concat)", "constant values at load time"});
}

onnx::TensorProto float_tensor(const std::string& name, std::vector<int64_t> dims,
                               const std::vector<float>& values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
  return t;
}

// This project's exporter writes a pixel unshuffle as a grouped convolution
// with a one-hot kernel and stride = kernel; it reads back unchanged.
TEST(OnnxFormat, OneHotGroupedConvolutionIsAPixelUnshuffle) {
  const std::vector<uint8_t> bytes = read_graph_fixture("rrdb_x2_spacetodepth.onnx");
  auto reference = load(bytes);
  ASSERT_TRUE(reference.is_ok()) << reference.status().message();
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  onnx::GraphProto& g = *model.mutable_graph();
  onnx::NodeProto& unshuffle = *g.mutable_node(0);
  ASSERT_EQ(unshuffle.op_type(), "SpaceToDepth");
  unshuffle.set_op_type("Conv");
  unshuffle.clear_attribute();
  unshuffle.add_input("unshuffle.weight");
  auto add_ints = [&](const std::string& name, std::vector<int64_t> v) {
    onnx::AttributeProto* a = unshuffle.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  };
  add_ints("kernel_shape", {2, 2});
  add_ints("strides", {2, 2});
  onnx::AttributeProto* group = unshuffle.add_attribute();
  group->set_name("group");
  group->set_type(onnx::AttributeProto::INT);
  group->set_i(3);
  std::vector<float> one_hot(12 * 4, 0.0f);
  for (int k = 0; k < 12; ++k) one_hot[k * 4 + k % 4] = 1.0f;
  *g.add_initializer() = float_tensor("unshuffle.weight", {12, 1, 2, 2}, one_hot);
  // The conv reads channel-major, so conv_first takes PyTorch's weights as they are.
  for (onnx::TensorProto& t : *g.mutable_initializer()) {
    if (t.name() == "conv_first.weight") {
      t = float_tensor(t.name(), {4, 12, 3, 3}, reference->tensors.at("conv_first.weight").data);
    }
  }
  std::string edited;
  ASSERT_TRUE(model.SerializeToString(&edited));
  auto weights = load(std::vector<uint8_t>(edited.begin(), edited.end()));
  ASSERT_TRUE(weights.is_ok()) << weights.status().message();
  ASSERT_EQ(weights->tensors.size(), reference->tensors.size());
  for (const auto& [name, t] : reference->tensors) {
    EXPECT_EQ(weights->tensors.at(name).data, t.data) << name;
  }

  one_hot[5] = 0.5f;  // no longer only moves pixels
  for (onnx::TensorProto& t : *g.mutable_initializer()) {
    if (t.name() == "unshuffle.weight") t = float_tensor(t.name(), {12, 1, 2, 2}, one_hot);
  }
  ASSERT_TRUE(model.SerializeToString(&edited));
  expect_error(load(std::vector<uint8_t>(edited.begin(), edited.end())), ErrorCode::kUnsupported,
               {"grouped or strided convolutions are supported only as a pixel unshuffle"});
}

}  // namespace
}  // namespace resr
