#include "model/formats/layer_graph_recognizer.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace resr {

namespace {

// Far above every released model (x4plus has 23 blocks, general-x4v3 32
// convs); bounds the network built from numbers read out of a file.
constexpr int kMaxRrdbBlocks = 1000;
constexpr int kMaxSrvggConvs = 10000;

std::string num(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string activation_name(Activation a, float slope) {
  switch (a) {
    case Activation::kRelu:
      return "ReLU";
    case Activation::kLeakyRelu:
      return "LeakyReLU(" + num(slope) + ")";
    case Activation::kPRelu:
      return "PReLU";
    case Activation::kNone:
      break;
  }
  return "no activation";
}

int64_t out_channels(const Layer& conv) { return conv.weight.shape.at(0); }
int64_t in_channels(const Layer& conv) { return conv.weight.shape.at(1); }

// What a layer is, for messages; `source` says where it sits in the file.
std::string describe(const Layer& l) {
  switch (l.kind) {
    case LayerKind::kInput:
      return "the input";
    case LayerKind::kConv:
      return "a convolution " + std::to_string(in_channels(l)) + " -> " +
             std::to_string(out_channels(l)) + " channels";
    case LayerKind::kActivation:
      return activation_name(l.activation, l.negative_slope);
    case LayerKind::kScale:
      return "a multiplication by " + num(l.scale);
    case LayerKind::kAdd:
      return "a sum " + num(l.coefficients.at(0)) + " * a + " + num(l.coefficients.at(1)) + " * b";
    case LayerKind::kConcat:
      return "a concatenation";
    case LayerKind::kUpsampleNearest:
      return "a nearest " + std::to_string(l.factor) + "x upsampling";
    case LayerKind::kPixelShuffle:
      return "a pixel shuffle by " + std::to_string(l.factor);
    case LayerKind::kPixelUnshuffle:
      return "a pixel unshuffle by " + std::to_string(l.factor);
  }
  return "a layer";
}

bool resamples(LayerKind k) {
  return k == LayerKind::kUpsampleNearest || k == LayerKind::kPixelShuffle ||
         k == LayerKind::kPixelUnshuffle;
}

// Brings equivalent spellings to one form: resampling by 1 is dropped, a
// scale feeding a sum becomes its coefficient, and a convolution reads the
// parts of a concatenation directly (as core/graph.hpp's convs do).
void canonicalise(LayerGraph& g) {
  std::vector<int> alias(g.layers.size());
  for (size_t i = 0; i < g.layers.size(); ++i) {
    Layer& l = g.layers[i];
    alias[i] = static_cast<int>(i);
    for (int& in : l.inputs) in = alias[in];
    if (resamples(l.kind) && l.factor == 1) alias[i] = l.inputs.at(0);
    if (l.kind == LayerKind::kAdd) {
      for (size_t j = 0; j < l.inputs.size(); ++j) {
        while (g.layers[l.inputs[j]].kind == LayerKind::kScale) {
          l.coefficients[j] *= g.layers[l.inputs[j]].scale;
          l.inputs[j] = g.layers[l.inputs[j]].inputs.at(0);
        }
      }
    }
    if (l.kind == LayerKind::kConv || l.kind == LayerKind::kConcat) {
      std::vector<int> flat;
      for (int in : l.inputs) {
        const Layer& src = g.layers[in];
        if (src.kind == LayerKind::kConcat) {
          flat.insert(flat.end(), src.inputs.begin(), src.inputs.end());
        } else {
          flat.push_back(in);
        }
      }
      l.inputs = std::move(flat);
    }
  }
  g.output = alias[g.output];
}

std::vector<bool> reachable_from_output(const LayerGraph& g) {
  std::vector<bool> live(g.layers.size(), false);
  live[g.output] = true;
  for (size_t i = g.layers.size(); i-- > 0;) {
    if (!live[i]) continue;
    for (int in : g.layers[i].inputs) live[in] = true;
  }
  return live;
}

// Longest path from the input: preserved by any isomorphism, so it tells the
// two operands of a sum apart when their coefficients are equal.
std::vector<int> depths(const LayerGraph& g) {
  std::vector<int> d(g.layers.size(), 0);
  for (size_t i = 0; i < g.layers.size(); ++i) {
    for (int in : g.layers[i].inputs) d[i] = std::max(d[i], d[in] + 1);
  }
  return d;
}

// The network a set of hyper-parameters implies, as a LayerGraph whose convs
// carry their basicsr name in `source` and their expected shape in
// `weight.shape` (no data).
class NetworkTemplate {
 public:
  NetworkTemplate(Activation act, float slope) : act_(act), slope_(slope) {
    Layer in;
    in.source = "the input";
    g_.add(in);
  }

  int conv(const std::string& name, std::vector<int> inputs, int64_t in, int64_t out) {
    Layer l;
    l.kind = LayerKind::kConv;
    l.source = name;
    l.inputs = std::move(inputs);
    l.weight.shape = {out, in, 0, 0};
    return g_.add(std::move(l));
  }
  // `name` is the PReLU's basicsr prefix, or empty when it has no weights.
  int act(int in, const std::string& name, int64_t channels) {
    Layer l;
    l.kind = LayerKind::kActivation;
    l.source = name;
    l.inputs = {in};
    l.activation = act_;
    l.negative_slope = slope_;
    l.prelu_slopes.shape = {channels};
    return g_.add(std::move(l));
  }
  int add(int a, float ca, int b, float cb) {
    Layer l;
    l.kind = LayerKind::kAdd;
    l.inputs = {a, b};
    l.coefficients = {ca, cb};
    return g_.add(std::move(l));
  }
  int resample(LayerKind kind, int in, int factor) {
    if (factor == 1) return in;
    Layer l;
    l.kind = kind;
    l.inputs = {in};
    l.factor = factor;
    return g_.add(std::move(l));
  }
  LayerGraph finish(int output) {
    g_.output = output;
    return std::move(g_);
  }

 private:
  LayerGraph g_;
  Activation act_;
  float slope_;
};

struct Architecture {
  std::string summary;  // "RRDBNet (23 blocks, 64 features, 32 growth, x4)"
  LayerGraph network;
};

constexpr float kResidualScale = 0.2f;  // RDB and RRDB: out = 0.2 * residual + x

LayerGraph rrdbnet(int64_t in_ch, int64_t feat, int64_t grow, int blocks, int unshuffle,
                   Activation act, float slope) {
  NetworkTemplate t(act, slope);
  const int x = t.resample(LayerKind::kPixelUnshuffle, 0, unshuffle);
  const int first = t.conv("conv_first", {x}, in_ch, feat);
  int h = first;
  for (int b = 0; b < blocks; ++b) {
    const int rrdb_in = h;
    for (int r = 1; r <= 3; ++r) {
      const std::string rdb = "body." + std::to_string(b) + ".rdb" + std::to_string(r) + ".conv";
      std::vector<int> dense = {h};
      for (int c = 1; c <= 4; ++c) {
        const int y = t.conv(rdb + std::to_string(c), dense, feat + (c - 1) * grow, grow);
        dense.push_back(t.act(y, "", grow));
      }
      const int x5 = t.conv(rdb + "5", dense, feat + 4 * grow, feat);
      h = t.add(x5, kResidualScale, h, 1.0f);
    }
    h = t.add(h, kResidualScale, rrdb_in, 1.0f);
  }
  int y = t.add(first, 1.0f, t.conv("conv_body", {h}, feat, feat), 1.0f);
  for (const char* up : {"conv_up1", "conv_up2"}) {
    y = t.conv(up, {t.resample(LayerKind::kUpsampleNearest, y, 2)}, feat, feat);
    y = t.act(y, "", feat);
  }
  y = t.act(t.conv("conv_hr", {y}, feat, feat), "", feat);
  return t.finish(t.conv("conv_last", {y}, feat, 3));
}

LayerGraph srvgg(int64_t feat, int num_conv, int scale, Activation act, float slope) {
  NetworkTemplate t(act, slope);
  auto body = [](int i) { return "body." + std::to_string(i); };
  const bool prelu = act == Activation::kPRelu;
  int y = t.act(t.conv(body(0), {0}, 3, feat), prelu ? body(1) : "", feat);
  for (int i = 1; i <= num_conv; ++i) {
    y = t.act(t.conv(body(2 * i), {y}, feat, feat), prelu ? body(2 * i + 1) : "", feat);
  }
  y = t.conv(body(2 * num_conv + 2), {y}, feat, 3 * scale * scale);
  const int shuffled = t.resample(LayerKind::kPixelShuffle, y, scale);
  return t.finish(t.add(shuffled, 1.0f, t.resample(LayerKind::kUpsampleNearest, 0, scale), 1.0f));
}

// Infers which network the convolutions describe.
Result<Architecture> infer_architecture(const LayerGraph& g, const std::vector<int>& convs,
                                        const Layer* first_act, const std::string& what) {
  auto invalid = [&](const std::string& m) { return error(ErrorCode::kInvalidModel, what + m); };
  auto unsupported = [&](const std::string& m) { return error(ErrorCode::kUnsupported, what + m); };
  if (convs.empty()) return invalid(" has no convolution connected to its output");
  const bool dense =
      std::any_of(convs.begin(), convs.end(), [&](int c) { return g.layers[c].inputs.size() > 1; });
  if (!first_act) return unsupported(" has no activation; not a Real-ESRGAN network");
  const Activation act = first_act->activation;
  const float slope = first_act->negative_slope;
  const Layer& first = g.layers[convs.front()];
  const int64_t feat = out_channels(first);
  const int n = static_cast<int>(convs.size());

  if (dense) {
    if (n < 21 || (n - 6) % 15 != 0 || (n - 6) / 15 > kMaxRrdbBlocks) {
      return invalid(" has concatenations, as RRDBNet does, but " + std::to_string(n) +
                     " convolutions; RRDBNet has 15 per block + 6");
    }
    if (act != Activation::kLeakyRelu) {
      return unsupported(" is an RRDBNet with " + activation_name(act, slope) + " at " +
                         first_act->source + "; only LeakyReLU is supported");
    }
    const int blocks = (n - 6) / 15;
    const int64_t in_ch = in_channels(first);
    const int unshuffle = in_ch == 3 ? 1 : in_ch == 12 ? 2 : in_ch == 48 ? 4 : 0;
    if (unshuffle == 0) {
      return unsupported("'s first convolution (" + first.source + ") takes " +
                         std::to_string(in_ch) +
                         " channels; RRDBNet models take 3 (x4), 12 (x2) or 48 (x1)");
    }
    const int64_t grow = out_channels(g.layers[convs[1]]);
    return Architecture{"RRDBNet (" + std::to_string(blocks) + " blocks, " + std::to_string(feat) +
                            " features, growth " + std::to_string(grow) + ", x" +
                            std::to_string(4 / unshuffle) + ")",
                        rrdbnet(in_ch, feat, grow, blocks, unshuffle, act, slope)};
  }
  if (n < 2 || n - 2 > kMaxSrvggConvs) {
    return invalid(" has " + std::to_string(n) +
                   " convolutions in a chain; SRVGGNetCompact has between 2 and " +
                   std::to_string(kMaxSrvggConvs + 2));
  }
  const Layer& last = g.layers[convs.back()];
  const int64_t out = out_channels(last);
  const int scale = static_cast<int>(std::lround(std::sqrt(static_cast<double>(out) / 3.0)));
  if (scale < 1 || 3 * scale * scale != out) {
    return unsupported("'s last convolution (" + last.source + ") has " + std::to_string(out) +
                       " outputs; an RGB SRVGGNetCompact has 3 * scale * scale");
  }
  return Architecture{"SRVGGNetCompact (" + std::to_string(n - 2) + " convs, " +
                          std::to_string(feat) + " features, " + activation_name(act, slope) +
                          ", x" + std::to_string(scale) + ")",
                      srvgg(feat, n - 2, scale, act, slope)};
}

// Coefficients a float16 model rounds (0.2 -> 0.19995) still name the same network.
bool same_coefficient(float a, float b) {
  return std::fabs(a - b) <= 1e-3f * std::max(1.0f, std::fabs(b));
}

bool nearly_equal(float a, float b) {
  return std::fabs(a - b) <= 1e-5f * std::max(1.0f, std::fabs(b));
}

// Why `got` (from the file) cannot be `want` (from the template), or nothing.
std::optional<std::string> compare(const Layer& want, const Layer& got) {
  if (want.kind != got.kind) return "expected " + describe(want);
  switch (want.kind) {
    case LayerKind::kConv:
      if (out_channels(want) != out_channels(got) || in_channels(want) != in_channels(got)) {
        return "expected conv '" + want.source + "' with " + std::to_string(in_channels(want)) +
               " -> " + std::to_string(out_channels(want)) + " channels";
      }
      if (want.inputs.size() != got.inputs.size()) {
        return "expected conv '" + want.source + "' to read " + std::to_string(want.inputs.size()) +
               " concatenated inputs";
      }
      break;
    case LayerKind::kActivation: {
      const int64_t slopes = got.prelu_slopes.numel();
      if (want.activation != got.activation ||
          (want.activation == Activation::kLeakyRelu &&
           !nearly_equal(want.negative_slope, got.negative_slope)) ||
          (want.activation == Activation::kPRelu && slopes != 1 &&
           slopes != want.prelu_slopes.shape.at(0))) {
        return "expected " + activation_name(want.activation, want.negative_slope) +
               (want.activation == Activation::kPRelu
                    ? " with " + std::to_string(want.prelu_slopes.shape.at(0)) + " slopes"
                    : "") +
               " as everywhere else in the network";
      }
      break;
    }
    case LayerKind::kUpsampleNearest:
    case LayerKind::kPixelShuffle:
    case LayerKind::kPixelUnshuffle:
      if (want.factor != got.factor) return "expected " + describe(want);
      break;
    default:
      break;
  }
  return std::nullopt;
}

// Operand order of a sum: by coefficient, then by depth.
std::vector<int> sum_order(const Layer& add, const std::vector<int>& depth) {
  std::vector<int> order = {0, 1};
  auto key = [&](int i) { return std::make_pair(add.coefficients[i], depth[add.inputs[i]]); };
  if (key(1) < key(0)) std::swap(order[0], order[1]);
  return order;
}

// Pairs every template layer with one layer of the file, walking back from
// the outputs; fails at the first layer that does not fit.
Result<std::vector<int>> match(const LayerGraph& want, const LayerGraph& got,
                               const std::string& what, const std::string& summary) {
  const std::vector<int> want_depth = depths(want);
  const std::vector<int> got_depth = depths(got);
  std::vector<int> to_got(want.layers.size(), -1);
  std::vector<int> to_want(got.layers.size(), -1);
  std::vector<std::pair<int, int>> pending = {{want.output, got.output}};
  while (!pending.empty()) {
    const auto [w, o] = pending.back();
    pending.pop_back();
    if (to_got[w] == o) continue;
    const Layer& wl = want.layers[w];
    const Layer& ol = got.layers[o];
    std::optional<std::string> why;
    if (to_got[w] != -1 || to_want[o] != -1) {
      why = "it is used where the network uses another value";
    } else {
      why = compare(wl, ol);
    }
    std::vector<std::pair<int, int>> inputs;
    if (!why && wl.inputs.size() != ol.inputs.size()) {
      why = "expected " + describe(wl) + " of " + std::to_string(wl.inputs.size()) + " inputs";
    } else if (!why && wl.kind == LayerKind::kAdd) {
      const std::vector<int> wo = sum_order(wl, want_depth);
      const std::vector<int> oo = sum_order(ol, got_depth);
      for (int i = 0; i < 2 && !why; ++i) {
        if (!same_coefficient(ol.coefficients[oo[i]], wl.coefficients[wo[i]])) {
          why = "expected " + describe(wl) + " (residual scaling)";
        }
        inputs.push_back({wl.inputs[wo[i]], ol.inputs[oo[i]]});
      }
    } else if (!why) {
      for (size_t i = 0; i < wl.inputs.size(); ++i) inputs.push_back({wl.inputs[i], ol.inputs[i]});
    }
    if (why) {
      return error(ErrorCode::kUnsupported,
                   what + " looks like " + summary + " but is not one: " + ol.source + " (" +
                       describe(ol) + ") does not fit, " + *why +
                       "; only graphs exported from Real-ESRGAN's RRDBNet and SRVGGNetCompact "
                       "are supported");
    }
    to_got[w] = o;
    to_want[o] = w;
    pending.insert(pending.end(), inputs.begin(), inputs.end());
  }
  return to_got;
}

// A pixel (un)shuffle in block-major channel order equals PyTorch's once the
// adjacent convolution's channels are reordered: index (block * C + c) moves
// to (c * blocks + block).
std::vector<int64_t> block_major_to_channel_major(int64_t channels, int factor) {
  const int64_t blocks = int64_t{factor} * factor;
  const int64_t c_count = channels / blocks;
  std::vector<int64_t> from(static_cast<size_t>(channels));
  for (int64_t c = 0; c < c_count; ++c) {
    for (int64_t b = 0; b < blocks; ++b) from[c * blocks + b] = b * c_count + c;
  }
  return from;
}

// Reorders dimension `dim` (0 = out, 1 = in) of a conv weight {O, I, k, k}.
void reorder_conv_channels(Tensor& w, int dim, const std::vector<int64_t>& from) {
  const int64_t inner = w.shape[2] * w.shape[3];
  const int64_t rows = dim == 0 ? 1 : w.shape[0];
  const int64_t n = w.shape[dim];
  const int64_t block = dim == 0 ? w.shape[1] * inner : inner;
  std::vector<float> out(w.data.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < n; ++i) {
      std::copy_n(w.data.begin() + (r * n + from[i]) * block, block,
                  out.begin() + (r * n + i) * block);
    }
  }
  w.data = std::move(out);
}

}  // namespace

Result<LoadedWeights> recognise_layer_graph(LayerGraph graph, const std::string& what,
                                            const std::string& format) {
  canonicalise(graph);
  const std::vector<bool> live = reachable_from_output(graph);
  std::vector<int> convs;
  const Layer* first_act = nullptr;
  for (size_t i = 0; i < graph.layers.size(); ++i) {
    if (graph.layers[i].kind == LayerKind::kActivation && live[i] && !first_act) {
      first_act = &graph.layers[i];
    }
    if (graph.layers[i].kind != LayerKind::kConv) continue;
    if (!live[i]) {
      return error(ErrorCode::kInvalidModel,
                   what + ": " + graph.layers[i].source + " does not contribute to the output");
    }
    convs.push_back(static_cast<int>(i));
  }
  RESR_ASSIGN_OR_RETURN(Architecture arch, infer_architecture(graph, convs, first_act, what));
  const LayerGraph& want = arch.network;
  RESR_ASSIGN_OR_RETURN(std::vector<int> to_got, match(want, graph, what, arch.summary));

  LoadedWeights out;
  out.format = format;
  for (size_t w = 0; w < want.layers.size(); ++w) {
    const Layer& wl = want.layers[w];
    Layer& got = graph.layers[to_got[w]];
    if (wl.kind == LayerKind::kConv) {
      out.tensors[wl.source + ".weight"] = std::move(got.weight);
      if (!got.bias.data.empty()) out.tensors[wl.source + ".bias"] = std::move(got.bias);
    } else if (wl.kind == LayerKind::kActivation) {
      out.activation = got.activation;
      out.negative_slope = got.activation == Activation::kLeakyRelu ? got.negative_slope : 0.0f;
      if (got.activation == Activation::kPRelu) {
        const int64_t channels = wl.prelu_slopes.shape[0];
        std::vector<float> slopes = got.prelu_slopes.data;
        if (slopes.size() == 1) slopes.assign(static_cast<size_t>(channels), slopes[0]);
        out.tensors[wl.source + ".weight"] = Tensor({channels}, std::move(slopes));
      }
    }
  }
  // Block-major (un)shuffles: reorder the conv next to them (already named).
  for (size_t w = 0; w < want.layers.size(); ++w) {
    const Layer& wl = want.layers[w];
    if (!resamples(wl.kind) || !graph.layers[to_got[w]].block_major) continue;
    if (wl.kind == LayerKind::kPixelShuffle) {
      const std::string conv = want.layers[wl.inputs[0]].source;
      Tensor& weight = out.tensors[conv + ".weight"];
      const std::vector<int64_t> from = block_major_to_channel_major(weight.shape[0], wl.factor);
      reorder_conv_channels(weight, 0, from);
      if (auto bias = out.tensors.find(conv + ".bias"); bias != out.tensors.end()) {
        std::vector<float> b(bias->second.data.size());
        for (size_t i = 0; i < b.size(); ++i) b[i] = bias->second.data[from[i]];
        bias->second.data = std::move(b);
      }
    } else if (wl.kind == LayerKind::kPixelUnshuffle) {
      Tensor& weight = out.tensors["conv_first.weight"];
      reorder_conv_channels(weight, 1, block_major_to_channel_major(weight.shape[1], wl.factor));
    }
  }
  return out;
}

}  // namespace resr
