#include "model/arch/srvgg.hpp"

#include <algorithm>
#include <cmath>

#include "model/arch/conv_from_weights.hpp"

namespace resr {

namespace {

constexpr float kSrvggLeakySlope = 0.1f;  // SRVGGNetCompact's LeakyReLU slope

std::string body(int i, const char* what) { return "body." + std::to_string(i) + what; }

// Highest i with a "body.i.weight" tensor, or -1. Parameter-free activations
// leave gaps at odd indices, so every key is looked at.
int last_body_index(const std::map<std::string, Tensor>& tensors) {
  int last = -1;
  for (const auto& [key, t] : tensors) {
    if (key.rfind("body.", 0) != 0 || key.size() < 12) continue;
    if (key.compare(key.size() - 7, 7, ".weight") != 0) continue;
    const std::string index = key.substr(5, key.size() - 12);
    if (index.empty() || index.size() > 6 || index.find_first_not_of("0123456789") != index.npos)
      continue;
    last = std::max(last, std::stoi(index));
  }
  return last;
}

}  // namespace

bool looks_like_srvgg(const LoadedWeights& weights) {
  auto it = weights.tensors.find("body.0.weight");
  return it != weights.tensors.end() && it->second.shape.size() == 4 &&
         !weights.tensors.count("conv_first.weight");
}

Result<Model> build_srvgg(const LoadedWeights& weights, const std::string& activation_hint) {
  const auto& t = weights.tensors;
  const int last = last_body_index(t);
  if (last < 2 || last % 2 != 0) {
    return error(ErrorCode::kInvalidModel,
                 "SRVGGNetCompact layout broken: the body.N tensors end at body." +
                     std::to_string(last) +
                     "; convs at even indices ending in an even index "
                     "were expected");
  }
  const int num_conv = (last - 2) / 2;
  const bool prelu = t.count("body.1.weight") > 0;

  Activation act = Activation::kPRelu;
  float slope = 0;
  std::string act_name = "prelu";
  if (!prelu) {
    if (weights.activation) {
      act = *weights.activation;
      slope = weights.negative_slope;
    } else if (activation_hint == "relu") {
      act = Activation::kRelu;
    } else if (activation_hint == "leakyrelu") {
      act = Activation::kLeakyRelu;
      slope = kSrvggLeakySlope;
    } else {
      return error(ErrorCode::kInvalidModel,
                   "SRVGGNetCompact without PReLU weights: the file does not say whether its "
                   "activation is ReLU or LeakyReLU(0.1); say which with --srvgg-activation "
                   "relu|leakyrelu");
    }
    act_name =
        act == Activation::kRelu ? "relu" : "leakyrelu(" + std::to_string(slope).substr(0, 4) + ")";
  }

  Model model;
  Graph& g = model.graph;
  const int input = g.add_input();
  int x = input;
  int feat = 0;
  for (int i = 0; i < last; i += 2) {
    RESR_ASSIGN_OR_RETURN(
        ConvLayer layer,
        conv_from_weights(t, body(i, ""), {i == 0 ? 3 : feat, i == 0 ? std::optional<int>{} : feat},
                          act, slope));
    feat = layer.out_channels;
    if (prelu) {
      auto it = t.find(body(i + 1, ".weight"));
      if (it == t.end()) {
        return error(ErrorCode::kInvalidModel,
                     "missing tensor '" + body(i + 1, ".weight") + "' (PReLU slopes)");
      }
      const Tensor& slopes = it->second;
      if (slopes.numel() != static_cast<size_t>(feat)) {
        return error(ErrorCode::kInvalidModel, "tensor '" + body(i + 1, ".weight") +
                                                   "' (PReLU) has shape " +
                                                   shape_to_string(slopes.shape) + "; expected [" +
                                                   std::to_string(feat) + "]");
      }
      layer.prelu_slopes = slopes.data;
    }
    x = g.add_conv({x}, std::move(layer));
  }
  RESR_ASSIGN_OR_RETURN(ConvLayer out,
                        conv_from_weights(t, body(last, ""), {feat, {}}, Activation::kNone, 0));
  const int s = static_cast<int>(std::lround(std::sqrt(out.out_channels / 3.0)));
  if (s < 1 || 3 * s * s != out.out_channels) {
    return error(ErrorCode::kUnsupported,
                 "SRVGGNetCompact last conv '" + body(last, "") + "' has " +
                     std::to_string(out.out_channels) +
                     " outputs; 3 * scale * scale (an RGB model) was expected");
  }
  g.scale = s;
  const int shuffled = g.add_pixel_shuffle(g.add_conv({x}, std::move(out)), s);
  g.add_add(shuffled, g.add_upsample_nearest(input, s), 1.0f, 1.0f);

  ModelInfo& info = model.info;
  info.arch = "SRVGGNetCompact";
  info.scale = s;
  info.num_feat = feat;
  info.num_conv = num_conv;
  info.activation = act_name;
  return model;
}

}  // namespace resr
