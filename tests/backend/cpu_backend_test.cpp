// The cpu (oneDNN) backend against the reference backend on the same graphs:
// RRDBNet- and SRVGG-shaped graphs with random weights, odd sizes and channel
// counts, the zero-copy and copying concat paths, shape changes within a
// session, determinism and error paths.
#include "backend/cpu/cpu_backend.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "backend/cpu/execution_plan.hpp"
#include "backend/reference/reference_backend.hpp"

namespace resr {
namespace {

constexpr float kTolerance = 1e-4f;

// Kaiming-uniform weights (std 1/sqrt(fan_in)) keep activations O(1) through
// the graph, like trained models' do.
ConvLayer random_conv(std::mt19937& rng, const std::string& name, int in, int out,
                      Activation activation, float slope = 0.2f, int kernel = 3) {
  ConvLayer c;
  c.name = name;
  c.in_channels = in;
  c.out_channels = out;
  c.kernel = kernel;
  c.activation = activation;
  c.negative_slope = activation == Activation::kLeakyRelu ? slope : 0.0f;
  const float bound = std::sqrt(3.0f / static_cast<float>(in * kernel * kernel));
  std::uniform_real_distribution<float> weight(-bound, bound), bias(-0.05f, 0.05f),
      prelu(0.05f, 0.4f);
  c.weight.resize(static_cast<size_t>(out) * in * kernel * kernel);
  for (float& w : c.weight) w = weight(rng);
  c.bias.resize(out);
  for (float& b : c.bias) b = bias(rng);
  if (activation == Activation::kPRelu) {
    c.prelu_slopes.resize(out);
    for (float& s : c.prelu_slopes) s = prelu(rng);
  }
  return c;
}

struct RrdbShape {
  int unshuffle = 1;  // 1: x4, 2: x2, 4: x1
  int feat = 64;
  int grow = 32;
  int blocks = 1;
};

// RRDBNet's topology: dense blocks whose convs read x, x1.. as one concatenation.
Graph rrdb_graph(const RrdbShape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  Graph g;
  const Activation lrelu = Activation::kLeakyRelu;
  int x = g.add_input();
  if (s.unshuffle > 1) x = g.add_pixel_unshuffle(x, s.unshuffle);
  g.scale = 4 / s.unshuffle;
  const int trunk = g.add_conv({x}, random_conv(rng, "conv_first", 3 * s.unshuffle * s.unshuffle,
                                                s.feat, Activation::kNone));
  int h = trunk;
  for (int b = 0; b < s.blocks; ++b) {
    const int rrdb_in = h;
    for (int r = 0; r < 3; ++r) {
      std::vector<int> dense = {h};
      for (int c = 1; c <= 4; ++c) {
        dense.push_back(g.add_conv(dense, random_conv(rng, "conv" + std::to_string(c),
                                                      s.feat + (c - 1) * s.grow, s.grow, lrelu)));
      }
      const int x5 = g.add_conv(
          dense, random_conv(rng, "conv5", s.feat + 4 * s.grow, s.feat, Activation::kNone));
      h = g.add_add(x5, dense[0], 0.2f, 1.0f);
    }
    h = g.add_add(h, rrdb_in, 0.2f, 1.0f);
  }
  int y = g.add_add(
      trunk, g.add_conv({h}, random_conv(rng, "conv_body", s.feat, s.feat, Activation::kNone)),
      1.0f, 1.0f);
  for (const char* up : {"conv_up1", "conv_up2"}) {
    y = g.add_conv({g.add_upsample_nearest(y, 2)}, random_conv(rng, up, s.feat, s.feat, lrelu));
  }
  y = g.add_conv({y}, random_conv(rng, "conv_hr", s.feat, s.feat, lrelu));
  g.add_conv({y}, random_conv(rng, "conv_last", s.feat, 3, Activation::kNone));
  return g;
}

struct SrvggShape {
  int feat = 64;
  int convs = 4;
  int scale = 4;
  Activation activation = Activation::kPRelu;
};

// SRVGGNetCompact's topology: a conv chain, pixel shuffle, plus the upsampled input.
Graph srvgg_graph(const SrvggShape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  Graph g;
  g.scale = s.scale;
  const int input = g.add_input();
  int x = g.add_conv({input}, random_conv(rng, "body.0", 3, s.feat, s.activation, 0.1f));
  for (int i = 0; i < s.convs; ++i) {
    x = g.add_conv({x}, random_conv(rng, "body.n", s.feat, s.feat, s.activation, 0.1f));
  }
  x = g.add_conv({x}, random_conv(rng, "last", s.feat, 3 * s.scale * s.scale, Activation::kNone));
  g.add_add(g.add_pixel_shuffle(x, s.scale), g.add_upsample_nearest(input, s.scale), 1.0f, 1.0f);
  return g;
}

Tensor random_image(int64_t height, int64_t width, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  Tensor t = Tensor::chw(3, height, width);
  for (float& v : t.data) v = unit(rng);
  return t;
}

std::shared_ptr<const CompiledModel> compile(const Backend& backend, const Graph& graph,
                                             BackendOptions options = {}) {
  auto compiled = backend.compile(graph, options);
  EXPECT_TRUE(compiled.is_ok()) << compiled.status().message();
  return compiled.is_ok() ? compiled.value() : nullptr;
}

Tensor run(Session& session, const Tensor& input) {
  auto out = session.run(input);
  EXPECT_TRUE(out.is_ok()) << out.status().message();
  return out.is_ok() ? std::move(out).value() : Tensor();
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape, b.shape);
  if (a.shape != b.shape) return INFINITY;
  float worst = 0;
  for (size_t i = 0; i < a.data.size(); ++i)
    worst = std::max(worst, std::abs(a.data[i] - b.data[i]));
  return worst;
}

bool bytes_equal(const Tensor& a, const Tensor& b) {
  return a.shape == b.shape &&
         std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0;
}

// Runs every size through one cpu session and one reference session.
void expect_matches_reference(const Graph& graph, const std::vector<std::pair<int, int>>& sizes,
                              BackendOptions options = {}, float tolerance = kTolerance) {
  auto cpu_model = compile(*make_cpu_backend(), graph, options);
  auto ref_model = compile(*make_reference_backend(), graph);
  ASSERT_TRUE(cpu_model && ref_model);
  auto cpu = cpu_model->new_session();
  auto ref = ref_model->new_session();
  uint32_t seed = 1;
  for (auto [h, w] : sizes) {
    const Tensor input = random_image(h, w, seed++);
    const Tensor expected = run(*ref, input);
    const Tensor got = run(*cpu, input);
    ASSERT_EQ(got.shape, (std::vector<int64_t>{3, h * graph.scale, w * graph.scale}));
    EXPECT_LE(max_abs_diff(got, expected), tolerance) << "input " << w << "x" << h;
  }
}

TEST(CpuBackend, RrdbX4MatchesReference) {
  expect_matches_reference(rrdb_graph({}, 1), {{17, 23}, {8, 8}});
}

TEST(CpuBackend, RrdbTwoBlocksMatchesReference) {
  expect_matches_reference(rrdb_graph({.blocks = 2}, 2), {{12, 9}});
}

TEST(CpuBackend, RrdbX2WithPixelUnshuffleMatchesReference) {
  expect_matches_reference(rrdb_graph({.unshuffle = 2}, 3), {{18, 24}, {2, 2}});
}

TEST(CpuBackend, RrdbX1WithPixelUnshuffle4MatchesReference) {
  expect_matches_reference(rrdb_graph({.unshuffle = 4}, 4), {{16, 28}, {4, 4}});
}

TEST(CpuBackend, RrdbOddSizesMatchReference) {
  expect_matches_reference(rrdb_graph({.feat = 16, .grow = 16}, 5), {{1, 1}, {5, 300}, {31, 2}});
}

TEST(CpuBackend, RrdbChannelCountsOffTheBlockMatchReference) {
  // Offsets 12, 20, 28.. cannot start a 16-channel block: the planner falls back to nchw.
  expect_matches_reference(rrdb_graph({.feat = 12, .grow = 8}, 6), {{9, 13}, {1, 1}});
  expect_matches_reference(rrdb_graph({.feat = 20, .grow = 16, .blocks = 2}, 7), {{7, 10}});
}

TEST(CpuBackend, SrvggPreluMatchesReference) {
  expect_matches_reference(srvgg_graph({}, 8), {{17, 23}, {1, 1}, {5, 300}});
}

TEST(CpuBackend, SrvggVariantsMatchReference) {
  expect_matches_reference(srvgg_graph({.feat = 12, .convs = 2}, 9), {{11, 6}});
  expect_matches_reference(
      srvgg_graph({.feat = 32, .convs = 3, .scale = 2, .activation = Activation::kLeakyRelu}, 10),
      {{10, 15}});
  expect_matches_reference(
      srvgg_graph({.feat = 16, .convs = 2, .scale = 3, .activation = Activation::kRelu}, 11),
      {{7, 5}});
}

TEST(CpuBackend, PreluWithOneSlopeMatchesReference) {
  // Runs as a fused LeakyReLU post-op instead of a PReLU primitive.
  Graph g = srvgg_graph({.feat = 32, .convs = 2}, 26);
  for (ConvLayer& c : g.convs) std::fill(c.prelu_slopes.begin(), c.prelu_slopes.end(), -0.3f);
  expect_matches_reference(g, {{9, 14}});
}

// Values read by convs in inconsistent orders, or twice by one conv, cannot
// sit side by side in one buffer: those convs read a copy.
Graph inconsistent_concat_graph(uint32_t seed) {
  std::mt19937 rng(seed);
  Graph g;
  const int in = g.add_input();
  const int a = g.add_conv({in}, random_conv(rng, "a", 3, 16, Activation::kRelu));
  const int b = g.add_conv({in}, random_conv(rng, "b", 3, 8, Activation::kLeakyRelu));
  const int ab = g.add_conv({a, b}, random_conv(rng, "ab", 24, 16, Activation::kNone));
  const int ba = g.add_conv({b, a}, random_conv(rng, "ba", 24, 16, Activation::kNone));
  const int aa = g.add_conv({ab, ab}, random_conv(rng, "aa", 32, 16, Activation::kNone));
  const int sum = g.add_add(aa, ba, 0.5f, 2.0f);
  g.add_conv({sum}, random_conv(rng, "out", 16, 3, Activation::kNone, 0.0f, 1));
  return g;
}

TEST(CpuBackend, ConcatCopyFallbackMatchesReference) {
  const Graph g = inconsistent_concat_graph(12);
  auto plan = cpu::plan_execution(g);
  ASSERT_TRUE(plan.is_ok()) << plan.status().message();
  EXPECT_EQ(std::count_if(plan->steps.begin(), plan->steps.end(),
                          [](const cpu::Step& s) { return s.kind == cpu::StepKind::kConcatCopy; }),
            3);
  expect_matches_reference(g, {{6, 7}, {1, 1}});
}

TEST(CpuBackend, PlanPutsDenseBlocksSideBySideAndFoldsResidualAdds) {
  const Graph g = rrdb_graph({.blocks = 2}, 13);
  auto plan = cpu::plan_execution(g);
  ASSERT_TRUE(plan.is_ok()) << plan.status().message();
  for (const cpu::Step& s : plan->steps) {
    EXPECT_NE(s.kind, cpu::StepKind::kConcatCopy);
    EXPECT_NE(s.kind, cpu::StepKind::kAdd);  // every residual add rides on a conv
  }
  // The first RDB: conv5 reads x, x1..x4 at offsets 0, 64, 96, 128, 160 of one
  // 192-channel blocked buffer.
  const cpu::Step& conv5 = plan->steps[6];
  ASSERT_EQ(conv5.kind, cpu::StepKind::kConv);
  ASSERT_EQ(conv5.inputs.size(), 5u);
  const int buffer = plan->values[conv5.inputs[0]].buffer;
  EXPECT_EQ(plan->buffers[buffer].channels, 192);
  EXPECT_EQ(plan->buffers[buffer].layout, cpu::Layout::kBlocked);
  const int offsets[] = {0, 64, 96, 128, 160};
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(plan->values[conv5.inputs[k]].buffer, buffer);
    EXPECT_EQ(plan->values[conv5.inputs[k]].channel_offset, offsets[k]);
  }
  // RDB3's conv5 computes 0.2 * (0.2 * x5 + x) + rrdb_in in its post-ops.
  const cpu::Step& rdb3_conv5 = plan->steps[16];
  ASSERT_EQ(rdb3_conv5.kind, cpu::StepKind::kConv);
  ASSERT_EQ(rdb3_conv5.fused_adds.size(), 2u);
  EXPECT_FLOAT_EQ(rdb3_conv5.fused_adds[0].scale, 0.2f);
  EXPECT_FLOAT_EQ(rdb3_conv5.fused_adds[1].scale, 0.2f);
  // Buffers share memory: far fewer slots than buffers.
  EXPECT_LT(plan->slot_count, static_cast<int>(plan->buffers.size()) / 2);
}

TEST(CpuBackend, ChangingSizesInOneSessionMatchReference) {
  expect_matches_reference(srvgg_graph({.feat = 32, .convs = 2}, 14),
                           {{8, 8}, {13, 5}, {8, 8}, {40, 33}, {13, 5}, {1, 7}, {8, 8}});
}

TEST(CpuBackend, WinogradConvsMatchReferenceAcrossSizesThatChangeTheirWeightLayout) {
  // 64-feature convs run as Winograd F(4x4, 3x3); on oneDNN 2.6 the 192->64
  // conv's weight layout differs at 16, 32 and 40 pixels, so the session
  // swaps its one re-laid copy back and forth.
  expect_matches_reference(rrdb_graph({}, 31), {{16, 16}, {32, 32}, {40, 40}, {16, 16}, {40, 40}});
}

TEST(CpuBackend, RepeatedRunsAreByteIdentical) {
  const Graph g = rrdb_graph({}, 15);
  auto model = compile(*make_cpu_backend(), g, {.threads = 2});
  ASSERT_TRUE(model);
  auto first = model->new_session();
  auto second = model->new_session();
  const Tensor input = random_image(19, 14, 99);
  const Tensor a = run(*first, input);
  run(*first, random_image(7, 9, 98));  // another size in between
  const Tensor b = run(*first, input);
  const Tensor c = run(*second, input);
  EXPECT_TRUE(bytes_equal(a, b));
  EXPECT_TRUE(bytes_equal(a, c));
}

TEST(CpuBackend, OneAndTwoThreadsAgree) {
  const Graph g = srvgg_graph({}, 16);
  const Tensor input = random_image(21, 18, 5);
  auto one = compile(*make_cpu_backend(), g, {.threads = 1});
  auto two = compile(*make_cpu_backend(), g, {.threads = 2});
  ASSERT_TRUE(one && two);
  EXPECT_LE(max_abs_diff(run(*one->new_session(), input), run(*two->new_session(), input)),
            kTolerance);
}

TEST(CpuBackend, SessionsOfOneModelRunConcurrently) {
  const Graph g = srvgg_graph({.feat = 32, .convs = 2}, 17);
  auto model = compile(*make_cpu_backend(), g, {.threads = 1});
  ASSERT_TRUE(model);
  const Tensor input = random_image(16, 16, 3);
  const Tensor expected = run(*model->new_session(), input);
  std::vector<Tensor> outputs(2);
  std::vector<std::thread> workers;
  for (Tensor& out : outputs) {
    workers.emplace_back([&] {
      auto result = model->new_session()->run(input);
      if (result.is_ok()) out = std::move(result).value();
    });
  }
  for (std::thread& t : workers) t.join();
  for (const Tensor& out : outputs) EXPECT_TRUE(bytes_equal(out, expected));
}

TEST(CpuBackend, Bf16MatchesReferenceLoosely) {
  // bf16 keeps 8 significant bits: expect ~1e-2 absolute on O(1) outputs.
  const BackendOptions bf16{.precision = Precision::kBf16};
  auto probe = make_cpu_backend()->compile(srvgg_graph({.feat = 16, .convs = 1}, 24), bf16);
  if (!probe.is_ok() && probe.status().code() == ErrorCode::kUnsupported) {
    GTEST_SKIP() << probe.status().message();
  }
  expect_matches_reference(rrdb_graph({}, 21), {{17, 23}}, bf16, 5e-2f);
  expect_matches_reference(rrdb_graph({.feat = 12, .grow = 8}, 22), {{9, 13}}, bf16, 5e-2f);
  expect_matches_reference(srvgg_graph({}, 23), {{17, 23}, {1, 1}}, bf16, 5e-2f);
}

TEST(CpuBackend, InputNotDivisibleByUnshuffleIsInvalidArgument) {
  auto model = compile(*make_cpu_backend(), rrdb_graph({.unshuffle = 4}, 18));
  ASSERT_TRUE(model);
  auto out = model->new_session()->run(random_image(6, 8, 1));
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("divisible by 4"), std::string::npos)
      << out.status().message();
}

TEST(CpuBackend, ActivationMemoryBeyondTheMachineIsResourceExhausted) {
  // A 100x100 input grows to 25600x25600 x 64 channels: far more than any RAM
  // here. The session must say so instead of allocating.
  std::mt19937 rng(25);
  Graph g;
  const int up = g.add_upsample_nearest(g.add_upsample_nearest(g.add_input(), 16), 16);
  g.add_conv({g.add_conv({up}, random_conv(rng, "wide", 3, 64, Activation::kRelu))},
             random_conv(rng, "narrow", 64, 3, Activation::kNone));
  g.scale = 256;
  auto model = compile(*make_cpu_backend(), g);
  ASSERT_TRUE(model);
  auto out = model->new_session()->run(random_image(100, 100, 1));
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(out.status().message().find("smaller tiles"), std::string::npos)
      << out.status().message();
}

TEST(CpuBackend, WrongInputShapeIsInvalidArgument) {
  auto model = compile(*make_cpu_backend(), srvgg_graph({.feat = 16, .convs = 1}, 19));
  ASSERT_TRUE(model);
  auto out = model->new_session()->run(Tensor({4, 5, 5}, std::vector<float>(100, 0.0f)));
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), ErrorCode::kInvalidArgument);
}

TEST(CpuBackend, MalformedGraphIsInvalidModel) {
  Graph g = srvgg_graph({.feat = 16, .convs = 1}, 20);
  g.convs[1].weight.pop_back();
  auto compiled = make_cpu_backend()->compile(g, {});
  ASSERT_FALSE(compiled.is_ok());
  EXPECT_EQ(compiled.status().code(), ErrorCode::kInvalidModel);
  EXPECT_NE(compiled.status().message().find("body.n"), std::string::npos)
      << compiled.status().message();
}

// Found by fuzz_engine_file: factors and channel counts that overflow the
// channel, weight and size arithmetic are refused before it runs.
TEST(CpuBackend, GraphWhoseSizesWouldOverflowIsInvalidModel) {
  const auto refused = [](const Graph& g, const std::string& why) {
    auto compiled = make_cpu_backend()->compile(g, {});
    ASSERT_FALSE(compiled.is_ok()) << why;
    EXPECT_EQ(compiled.status().code(), ErrorCode::kInvalidModel);
    EXPECT_NE(compiled.status().message().find(why), std::string::npos)
        << compiled.status().message();
  };
  Graph big_factor;
  big_factor.add_upsample_nearest(big_factor.add_input(), 65536);
  refused(big_factor, "node 1: has factor 65536; 1 to 16 were expected");

  Graph many_channels;
  many_channels.add_upsample_nearest(many_channels.add_input(), 2);
  many_channels.nodes[0].channels = many_channels.nodes[1].channels = 1 << 30;
  refused(many_channels, "node 0: produces 1073741824 channels");

  Graph chained;
  int value = chained.add_input();
  for (int i = 0; i < 3; ++i) value = chained.add_upsample_nearest(value, 16);
  refused(chained, "node 3 resamples the input by more than 256 times");
}

}  // namespace
}  // namespace resr
