#include "core/graph_validation.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace resr {

namespace {

// Far beyond any Real-ESRGAN network, and small enough that the channel,
// weight and extent arithmetic below and in the planner cannot overflow.
constexpr int kMaxChannels = 1 << 16;
constexpr int kMaxKernel = 31;
constexpr int kMaxFactor = 16;
// The product of the resampling factors on the way to any node, up or down.
constexpr int64_t kMaxResampling = 256;

size_t expected_input_count(OpKind kind) {
  switch (kind) {
    case OpKind::kInput:
      return 0;
    case OpKind::kAdd:
      return 2;
    case OpKind::kConv:
      return 0;  // one or more, checked separately
    default:
      return 1;
  }
}

Status check_conv(const Graph& graph, const Node& node, ConvWeights weights) {
  if (node.conv < 0 || node.conv >= static_cast<int>(graph.convs.size())) {
    return error(ErrorCode::kInvalidModel, "refers to conv " + std::to_string(node.conv) + " of " +
                                               std::to_string(graph.convs.size()));
  }
  const ConvLayer& c = graph.convs[node.conv];
  const std::string where = "conv '" + c.name + "': ";
  int64_t in_channels = 0;
  for (int in : node.inputs) in_channels += graph.nodes[in].channels;
  if (c.in_channels != in_channels || c.out_channels < 1 || node.channels != c.out_channels) {
    return error(ErrorCode::kInvalidModel, where + "declares " + std::to_string(c.in_channels) +
                                               " -> " + std::to_string(c.out_channels) +
                                               " channels but its inputs carry " +
                                               std::to_string(in_channels));
  }
  if (c.kernel < 1 || c.kernel > kMaxKernel || c.kernel % 2 == 0) {
    return error(ErrorCode::kInvalidModel, where + "kernel " + std::to_string(c.kernel) +
                                               " is not an odd size from 1 to " +
                                               std::to_string(kMaxKernel));
  }
  const size_t count = static_cast<size_t>(c.out_channels) * c.in_channels * c.kernel * c.kernel;
  if (weights == ConvWeights::kInGraph &&
      (c.weight.size() != count || c.bias.size() != static_cast<size_t>(c.out_channels))) {
    return error(ErrorCode::kInvalidModel, where + "has " + std::to_string(c.weight.size()) +
                                               " weights and " + std::to_string(c.bias.size()) +
                                               " biases; expected " + std::to_string(count) +
                                               " and " + std::to_string(c.out_channels));
  }
  if (c.activation == Activation::kPRelu &&
      c.prelu_slopes.size() != static_cast<size_t>(c.out_channels)) {
    return error(ErrorCode::kInvalidModel, where + "has " + std::to_string(c.prelu_slopes.size()) +
                                               " PReLU slopes for " +
                                               std::to_string(c.out_channels) + " channels");
  }
  return Status::ok();
}

Status check_node(const Graph& graph, size_t index, ConvWeights weights) {
  const Node& node = graph.nodes[index];
  if ((node.kind == OpKind::kInput) != (index == 0)) {
    return error(ErrorCode::kInvalidModel, "the input must be node 0 and only node 0");
  }
  if (node.kind == OpKind::kConv ? node.inputs.empty()
                                 : node.inputs.size() != expected_input_count(node.kind)) {
    return error(ErrorCode::kInvalidModel,
                 "has " + std::to_string(node.inputs.size()) + " inputs, a wrong count");
  }
  for (int in : node.inputs) {
    if (in < 0 || static_cast<size_t>(in) >= index) {
      return error(ErrorCode::kInvalidModel,
                   "reads node " + std::to_string(in) + ", which is not an earlier node");
    }
  }
  if (node.channels < 1 || node.channels > kMaxChannels) {
    return error(ErrorCode::kInvalidModel, "produces " + std::to_string(node.channels) +
                                               " channels; 1 to " + std::to_string(kMaxChannels) +
                                               " were expected");
  }
  const int in_channels = node.inputs.empty() ? 0 : graph.nodes[node.inputs[0]].channels;
  const int f = node.factor;
  switch (node.kind) {
    case OpKind::kInput:
      return Status::ok();
    case OpKind::kConv:
      return check_conv(graph, node, weights);
    case OpKind::kAdd:
      if (graph.nodes[node.inputs[1]].channels != in_channels || node.channels != in_channels) {
        return error(ErrorCode::kInvalidModel, "adds values of different channel counts");
      }
      return Status::ok();
    case OpKind::kUpsampleNearest:
    case OpKind::kPixelShuffle:
    case OpKind::kPixelUnshuffle:
      break;
  }
  if (f < 1 || f > kMaxFactor) {
    return error(ErrorCode::kInvalidModel, "has factor " + std::to_string(f) + "; 1 to " +
                                               std::to_string(kMaxFactor) + " were expected");
  }
  const int expected = node.kind == OpKind::kUpsampleNearest ? in_channels
                       : node.kind == OpKind::kPixelShuffle  ? in_channels / (f * f)
                                                             : in_channels * f * f;
  if (node.channels != expected ||
      (node.kind == OpKind::kPixelShuffle && in_channels % (f * f) != 0)) {
    return error(ErrorCode::kInvalidModel, "maps " + std::to_string(in_channels) + " channels to " +
                                               std::to_string(node.channels) + " with factor " +
                                               std::to_string(f));
  }
  return Status::ok();
}

// Bounds the factors by which a node's value is larger and smaller than the
// input, so that sizes computed from them cannot overflow.
Status check_resampling(const Graph& graph) {
  std::vector<int64_t> up(graph.nodes.size(), 1), down(graph.nodes.size(), 1);
  for (size_t i = 1; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    for (int in : node.inputs) {
      up[i] = std::max(up[i], up[in]);
      down[i] = std::max(down[i], down[in]);
    }
    if (node.kind == OpKind::kPixelUnshuffle) {
      down[i] *= node.factor;
    } else if (node.kind == OpKind::kUpsampleNearest || node.kind == OpKind::kPixelShuffle) {
      up[i] *= node.factor;
    }
    if (up[i] > kMaxResampling || down[i] > kMaxResampling) {
      return error(ErrorCode::kInvalidModel, "invalid graph: node " + std::to_string(i) +
                                                 " resamples the input by more than " +
                                                 std::to_string(kMaxResampling) + " times");
    }
  }
  return Status::ok();
}

// Each node's size as a fraction up / down of the input's. A conv's inputs
// and an add's operands must be one size, and the output must be an RGB image
// `scale` times the input: what the tile planner and every caller assume.
Status check_output_shape(const Graph& graph) {
  std::vector<int64_t> up(graph.nodes.size(), 1), down(graph.nodes.size(), 1);
  for (size_t i = 1; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    const int first = node.inputs[0];
    for (int in : node.inputs) {
      if (up[in] * down[first] != up[first] * down[in]) {
        return error(ErrorCode::kInvalidModel, "invalid graph: node " + std::to_string(i) +
                                                   " combines values of different sizes");
      }
    }
    up[i] = up[first];
    down[i] = down[first];
    if (node.kind == OpKind::kPixelUnshuffle) down[i] *= node.factor;
    if (node.kind == OpKind::kUpsampleNearest || node.kind == OpKind::kPixelShuffle) {
      up[i] *= node.factor;
    }
    const int64_t common = std::gcd(up[i], down[i]);
    up[i] /= common;
    down[i] /= common;
  }
  const size_t out = graph.nodes.size() - 1;
  if (graph.nodes[0].channels != 3 || graph.nodes[out].channels != 3 || down[out] != 1 ||
      up[out] != graph.scale) {
    return error(ErrorCode::kInvalidModel,
                 "invalid graph: it turns a " + std::to_string(graph.nodes[0].channels) +
                     "-channel input into a " + std::to_string(graph.nodes[out].channels) +
                     "-channel output " + std::to_string(up[out]) + "/" +
                     std::to_string(down[out]) + " times its size, but declares scale " +
                     std::to_string(graph.scale) + " (an RGB image in, RGB " +
                     std::to_string(graph.scale) + " times larger out)");
  }
  return Status::ok();
}

}  // namespace

Status validate_graph(const Graph& graph, ConvWeights weights) {
  if (graph.nodes.empty()) return error(ErrorCode::kInvalidModel, "the graph has no nodes");
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    RESR_RETURN_IF_ERROR(
        check_node(graph, i, weights).with_context("invalid graph: node " + std::to_string(i)));
  }
  RESR_RETURN_IF_ERROR(check_resampling(graph));
  return check_output_shape(graph);
}

}  // namespace resr
