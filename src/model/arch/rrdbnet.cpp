#include "model/arch/rrdbnet.hpp"

#include <set>

#include "model/arch/conv_from_weights.hpp"

namespace resr {

namespace {

constexpr float kRrdbSlope = 0.2f;      // LeakyReLU slope used throughout RRDBNet
constexpr float kResidualScale = 0.2f;  // out = 0.2 * residual + x, in RDBs and RRDBs

// Number of consecutive blocks body.0 ... body.N-1 present in the dict.
int count_blocks(const std::map<std::string, Tensor>& tensors) {
  std::set<int> found;
  for (const auto& [key, t] : tensors) {
    if (key.rfind("body.", 0) != 0) continue;
    size_t dot = key.find('.', 5);
    if (dot == std::string::npos) continue;
    try {
      found.insert(std::stoi(key.substr(5, dot - 5)));
    } catch (...) {  // a non-numeric index is simply not a block
    }
  }
  int n = 0;
  while (found.count(n)) ++n;
  return n;
}

}  // namespace

bool looks_like_rrdbnet(const LoadedWeights& weights) {
  return weights.tensors.count("conv_first.weight") &&
         weights.tensors.count("body.0.rdb1.conv1.weight");
}

Result<Model> build_rrdbnet(const LoadedWeights& weights) {
  const auto& t = weights.tensors;
  const Activation act = Activation::kLeakyRelu;
  const float slope =
      weights.activation == Activation::kLeakyRelu ? weights.negative_slope : kRrdbSlope;

  RESR_ASSIGN_OR_RETURN(ConvLayer first,
                        conv_from_weights(t, "conv_first", {}, Activation::kNone, 0));
  // The input channels say how far the image was pixel-unshuffled first.
  int unshuffle = 0, scale = 0;
  switch (first.in_channels) {
    case 3:
      unshuffle = 1, scale = 4;
      break;
    case 12:
      unshuffle = 2, scale = 2;
      break;
    case 48:
      unshuffle = 4, scale = 1;
      break;
    default:
      return error(ErrorCode::kUnsupported,
                   "RRDBNet conv_first takes " + std::to_string(first.in_channels) +
                       " channels; only 3 (x4), 12 (x2) and 48 (x1) RGB models are supported");
  }
  const int feat = first.out_channels;
  const int blocks = count_blocks(t);
  RESR_ASSIGN_OR_RETURN(ConvLayer probe,
                        conv_from_weights(t, "body.0.rdb1.conv1", {feat, {}}, act, slope));
  const int grow = probe.out_channels;

  Model model;
  Graph& g = model.graph;
  g.scale = scale;
  int x = g.add_input();
  if (unshuffle > 1) x = g.add_pixel_unshuffle(x, unshuffle);
  const int trunk_in = g.add_conv({x}, std::move(first));

  int h = trunk_in;
  for (int b = 0; b < blocks; ++b) {
    const int rrdb_in = h;
    for (int r = 1; r <= 3; ++r) {
      const std::string rdb = "body." + std::to_string(b) + ".rdb" + std::to_string(r);
      std::vector<int> dense = {h};  // x, x1, x2, ... read as one concatenation
      for (int c = 1; c <= 5; ++c) {
        const bool last = c == 5;
        RESR_ASSIGN_OR_RETURN(ConvLayer layer,
                              conv_from_weights(t, rdb + ".conv" + std::to_string(c),
                                                {feat + (c - 1) * grow, last ? feat : grow},
                                                last ? Activation::kNone : act, slope));
        const int out = g.add_conv(dense, std::move(layer));
        if (last) {
          h = g.add_add(out, dense[0], kResidualScale, 1.0f);
        } else {
          dense.push_back(out);
        }
      }
    }
    h = g.add_add(h, rrdb_in, kResidualScale, 1.0f);
  }
  RESR_ASSIGN_OR_RETURN(ConvLayer body,
                        conv_from_weights(t, "conv_body", {feat, feat}, Activation::kNone, 0));
  int y = g.add_add(trunk_in, g.add_conv({h}, std::move(body)), 1.0f, 1.0f);
  for (const char* up : {"conv_up1", "conv_up2"}) {
    RESR_ASSIGN_OR_RETURN(ConvLayer layer, conv_from_weights(t, up, {feat, feat}, act, slope));
    y = g.add_conv({g.add_upsample_nearest(y, 2)}, std::move(layer));
  }
  RESR_ASSIGN_OR_RETURN(ConvLayer hr, conv_from_weights(t, "conv_hr", {feat, feat}, act, slope));
  y = g.add_conv({y}, std::move(hr));
  RESR_ASSIGN_OR_RETURN(ConvLayer last,
                        conv_from_weights(t, "conv_last", {feat, 3}, Activation::kNone, 0));
  g.add_conv({y}, std::move(last));

  ModelInfo& info = model.info;
  info.arch = "RRDBNet";
  info.scale = scale;
  info.num_feat = feat;
  info.num_block = blocks;
  info.num_grow = grow;
  info.activation = "leakyrelu(" + std::to_string(slope).substr(0, 4) + ")";
  return model;
}

}  // namespace resr
