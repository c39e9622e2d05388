#include "engine/graph_structure.hpp"

#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace resr {

namespace {

using nlohmann::json;

constexpr std::array<std::pair<OpKind, const char*>, 6> kOpNames = {{
    {OpKind::kInput, "input"},
    {OpKind::kConv, "conv"},
    {OpKind::kAdd, "add"},
    {OpKind::kUpsampleNearest, "upsample_nearest"},
    {OpKind::kPixelShuffle, "pixel_shuffle"},
    {OpKind::kPixelUnshuffle, "pixel_unshuffle"},
}};

constexpr std::array<std::pair<Activation, const char*>, 4> kActivationNames = {{
    {Activation::kNone, "none"},
    {Activation::kRelu, "relu"},
    {Activation::kLeakyRelu, "leakyrelu"},
    {Activation::kPRelu, "prelu"},
}};

template <typename Enum, size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& names, Enum value) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "?";
}

template <typename Enum, size_t N>
Enum value_of(const std::array<std::pair<Enum, const char*>, N>& names, const std::string& name) {
  for (const auto& [v, n] : names)
    if (name == n) return v;
  throw std::invalid_argument("unknown name '" + name + "'");
}

}  // namespace

template <typename T>
T json_integer(const json& value) {
  const bool fits = value.is_number_unsigned()  ? std::in_range<T>(value.get<uint64_t>())
                    : value.is_number_integer() ? std::in_range<T>(value.get<int64_t>())
                                                : false;
  if (!fits) {
    throw std::invalid_argument(
        "expected an integer from " + std::to_string(std::numeric_limits<T>::min()) + " to " +
        std::to_string(std::numeric_limits<T>::max()) + ", got " +
        (value.is_number() ? value.dump() : std::string(value.type_name())));
  }
  return value.get<T>();
}

template int json_integer<int>(const json&);
template int64_t json_integer<int64_t>(const json&);
template uint64_t json_integer<uint64_t>(const json&);

json graph_structure_to_json(const Graph& graph) {
  json convs = json::array();
  for (const ConvLayer& c : graph.convs) {
    convs.push_back({{"name", c.name},
                     {"in_channels", c.in_channels},
                     {"out_channels", c.out_channels},
                     {"kernel", c.kernel},
                     {"activation", name_of(kActivationNames, c.activation)},
                     {"negative_slope", c.negative_slope},
                     {"prelu_slopes", c.prelu_slopes}});
  }
  json nodes = json::array();
  for (const Node& n : graph.nodes) {
    nodes.push_back({{"kind", name_of(kOpNames, n.kind)},
                     {"inputs", n.inputs},
                     {"conv", n.conv},
                     {"alpha", n.alpha},
                     {"beta", n.beta},
                     {"factor", n.factor},
                     {"channels", n.channels}});
  }
  return {{"scale", graph.scale}, {"convs", convs}, {"nodes", nodes}};
}

Result<Graph> graph_structure_from_json(const json& j) {
  try {
    Graph graph;
    graph.scale = json_integer<int>(j.at("scale"));
    for (const json& c : j.at("convs")) {
      ConvLayer layer;
      layer.name = c.at("name").get<std::string>();
      layer.in_channels = json_integer<int>(c.at("in_channels"));
      layer.out_channels = json_integer<int>(c.at("out_channels"));
      layer.kernel = json_integer<int>(c.at("kernel"));
      layer.activation = value_of(kActivationNames, c.at("activation").get<std::string>());
      layer.negative_slope = c.at("negative_slope").get<float>();
      layer.prelu_slopes = c.at("prelu_slopes").get<std::vector<float>>();
      graph.convs.push_back(std::move(layer));
    }
    for (const json& n : j.at("nodes")) {
      Node node;
      node.kind = value_of(kOpNames, n.at("kind").get<std::string>());
      for (const json& input : n.at("inputs").get_ref<const json::array_t&>()) {
        node.inputs.push_back(json_integer<int>(input));
      }
      node.conv = json_integer<int>(n.at("conv"));
      node.alpha = n.at("alpha").get<float>();
      node.beta = n.at("beta").get<float>();
      node.factor = json_integer<int>(n.at("factor"));
      node.channels = json_integer<int>(n.at("channels"));
      graph.nodes.push_back(std::move(node));
    }
    return graph;
  } catch (const std::exception& e) {
    return error(ErrorCode::kInvalidModel,
                 std::string("the engine's graph is malformed: ") + e.what());
  }
}

}  // namespace resr
