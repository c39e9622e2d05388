#include "model/formats/layer_graph_recognizer.hpp"

#include <gtest/gtest.h>

namespace resr {
namespace {

// Builds small graphs by hand; conv weights hold their output channel index,
// so a reordering of channels shows in the values.
class GraphBuilder {
 public:
  GraphBuilder() { g_.add(Layer{}); }

  int conv(int in, int64_t in_ch, int64_t out_ch) {
    Layer l;
    l.kind = LayerKind::kConv;
    l.source = "conv " + std::to_string(g_.layers.size());
    l.inputs = {in};
    std::vector<float> w;
    for (int64_t o = 0; o < out_ch; ++o) w.insert(w.end(), in_ch * 9, static_cast<float>(o));
    l.weight = Tensor({out_ch, in_ch, 3, 3}, std::move(w));
    return g_.add(std::move(l));
  }
  int act(int in, Activation a, float slope = 0.0f, std::vector<float> prelu = {}) {
    Layer l;
    l.kind = LayerKind::kActivation;
    l.source = "act " + std::to_string(g_.layers.size());
    l.inputs = {in};
    l.activation = a;
    l.negative_slope = slope;
    l.prelu_slopes = Tensor({static_cast<int64_t>(prelu.size())}, prelu);
    return g_.add(std::move(l));
  }
  int op(LayerKind kind, std::vector<int> inputs, int factor = 1, bool block_major = false) {
    Layer l;
    l.kind = kind;
    l.source = "op " + std::to_string(g_.layers.size());
    l.inputs = std::move(inputs);
    l.factor = factor;
    l.block_major = block_major;
    if (kind == LayerKind::kAdd) l.coefficients = {1.0f, 1.0f};
    return g_.add(std::move(l));
  }
  // SRVGGNetCompact's tail: last conv, pixel shuffle, plus the upsampled input.
  LayerGraph srvgg_tail(int y, int64_t feat, int scale, bool block_major = false) {
    const int last = conv(y, feat, 3 * scale * scale);
    const int shuffled = op(LayerKind::kPixelShuffle, {last}, scale, block_major);
    g_.output = op(LayerKind::kAdd, {shuffled, op(LayerKind::kUpsampleNearest, {0}, scale)});
    return std::move(g_);
  }

 private:
  LayerGraph g_;
};

TEST(LayerGraphRecognizer, SharedPReluSlopeBecomesOnePerChannel) {
  GraphBuilder b;
  int y = b.act(b.conv(0, 3, 4), Activation::kPRelu, 0, {0.25f});
  y = b.act(b.conv(y, 4, 4), Activation::kPRelu, 0, {0.1f, 0.2f, 0.3f, 0.4f});
  auto w = recognise_layer_graph(b.srvgg_tail(y, 4, 2), "test graph", "onnx");
  ASSERT_TRUE(w.is_ok()) << w.status().message();
  EXPECT_EQ(w->activation, Activation::kPRelu);
  EXPECT_EQ(w->format, "onnx");
  EXPECT_EQ(w->tensors.size(), 5u);  // body.0, .1, .2, .3, .4 weights; no biases in this graph
  EXPECT_EQ(w->tensors.at("body.1.weight").data, std::vector<float>(4, 0.25f));
  EXPECT_EQ(w->tensors.at("body.3.weight").data, (std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f}));
  EXPECT_EQ(w->tensors.at("body.4.weight").shape, (std::vector<int64_t>{12, 4, 3, 3}));
}

TEST(LayerGraphRecognizer, BlockMajorShuffleReordersTheLastConvolution) {
  GraphBuilder b;
  const int y = b.act(b.conv(0, 3, 2), Activation::kRelu);
  auto w = recognise_layer_graph(b.srvgg_tail(y, 2, 2, true), "test graph", "ncnn");
  ASSERT_TRUE(w.is_ok()) << w.status().message();
  // PyTorch's channel c * 4 + k must hold what the file's block-major channel
  // k * 3 + c held.
  const Tensor& last = w->tensors.at("body.2.weight");
  for (int c = 0; c < 3; ++c) {
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(last.data[(c * 4 + k) * 2 * 9], static_cast<float>(k * 3 + c)) << c << " " << k;
    }
  }
}

TEST(LayerGraphRecognizer, ActivationsMustAgree) {
  GraphBuilder b;
  int y = b.act(b.conv(0, 3, 4), Activation::kRelu);
  y = b.act(b.conv(y, 4, 4), Activation::kLeakyRelu, 0.1f);
  auto w = recognise_layer_graph(b.srvgg_tail(y, 4, 2), "test graph", "onnx");
  ASSERT_FALSE(w.is_ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(w.status().message().find("test graph looks like SRVGGNetCompact (1 convs, 4 "
                                      "features, ReLU, x2) but is not one: act 4 (LeakyReLU(0.1)) "
                                      "does not fit, expected ReLU as everywhere else"),
            std::string::npos)
      << w.status().message();
}

TEST(LayerGraphRecognizer, DenseGraphWithTheWrongNumberOfConvolutions) {
  GraphBuilder b;
  const int x = b.conv(0, 3, 4);
  const int y = b.act(b.conv(x, 4, 2), Activation::kLeakyRelu, 0.2f);
  const int both = b.op(LayerKind::kConcat, {x, y});
  auto w = recognise_layer_graph(b.srvgg_tail(b.conv(both, 6, 4), 4, 2), "test graph", "ncnn");
  ASSERT_FALSE(w.is_ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kInvalidModel);
  EXPECT_NE(w.status().message().find("has concatenations, as RRDBNet does, but 4 convolutions"),
            std::string::npos)
      << w.status().message();
}

TEST(LayerGraphRecognizer, GraphWithoutActivation) {
  GraphBuilder b;
  auto w = recognise_layer_graph(b.srvgg_tail(b.conv(0, 3, 4), 4, 2), "test graph", "onnx");
  ASSERT_FALSE(w.is_ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(w.status().message().find("has no activation"), std::string::npos);
}

TEST(LayerGraphRecognizer, LastConvolutionThatIsNotRgbTimesScaleSquared) {
  GraphBuilder b;
  LayerGraph g = b.srvgg_tail(b.act(b.conv(0, 3, 4), Activation::kRelu), 4, 2);
  g.layers[3].weight.shape[0] = 10;  // the last conv: 10 outputs
  auto w = recognise_layer_graph(std::move(g), "test graph", "onnx");
  ASSERT_FALSE(w.is_ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(w.status().message().find("has 10 outputs; an RGB SRVGGNetCompact has 3 * scale * "
                                      "scale"),
            std::string::npos)
      << w.status().message();
}

}  // namespace
}  // namespace resr
