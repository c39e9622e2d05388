// ncnn .param: "7767517", then "layers blobs", then one layer a line:
//   Type name n_in n_out in_blob... out_blob... key=value...
// where a key <= -23300 is an array (-23310=1,0.2 is key 10 = [0.2]). The .bin
// holds, in layer order, each Convolution weight behind a 4-byte storage tag,
// its bias and PReLU slopes as raw float32.
#include "model/formats/ncnn_format.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/little_endian.hpp"
#include "model/formats/layer_graph.hpp"
#include "model/formats/layer_graph_recognizer.hpp"
#include "model/formats/stored_float.hpp"

namespace resr {

namespace {

constexpr std::string_view kMagic = "7767517";
constexpr int kMaxLayers = 100000;
constexpr int kMaxBlobsPerLayer = 256;
constexpr int kMaxParamKey = 31;  // ncnn keeps 32 keys per layer
constexpr int64_t kMaxChannels = 1 << 16;
constexpr int64_t kMaxKernel = 31;

// Storage tags in front of a Convolution weight in the .bin.
constexpr uint32_t kTagFloat32 = 0;
constexpr uint32_t kTagFloat16 = 0x01306B47;
constexpr uint32_t kTagInt8 = 0x000D4B38;
constexpr uint32_t kTagFloat32Scaled = 0x0002C056;  // float32 data, scales kept elsewhere

constexpr const char* kSupportedLayers =
    "only Input, Split, Convolution (stride 1, no dilation), ReLU, PReLU, Eltwise (sum), "
    "BinaryOp (add, multiply or divide by a scalar), Concat, Interp (nearest), PixelShuffle "
    "and Reorg are supported";

struct ParamValue {
  std::vector<double> values;
  bool is_array = false;
  bool is_float = false;
};

struct NcnnLayer {
  int line = 0;
  std::string type;
  std::string name;
  std::vector<std::string> bottoms;
  std::vector<std::string> tops;
  std::map<int, ParamValue> params;
};

std::vector<std::string_view> split_whitespace(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

// One value as ncnn reads it: a float when it has '.' or 'e', else an int.
bool parse_value(std::string_view s, double& value, bool& is_float) {
  is_float = s.find_first_of(".eE") != std::string_view::npos;
  if (is_float) {
    float f = 0;
    if (!parse_number(s, f)) return false;
    value = f;
    return true;
  }
  int i = 0;
  if (!parse_number(s, i)) return false;
  value = i;
  return true;
}

class ParamFile {
 public:
  ParamFile(std::string_view text, std::string what) : text_(text), what_(std::move(what)) {}

  Result<std::vector<NcnnLayer>> parse() {
    std::vector<std::pair<int, std::string_view>> lines;
    int number = 0;
    size_t pos = 0;
    while (pos <= text_.size()) {
      size_t end = text_.find('\n', pos);
      if (end == std::string_view::npos) end = text_.size();
      ++number;
      std::string_view line = text_.substr(pos, end - pos);
      if (!split_whitespace(line).empty()) lines.push_back({number, line});
      pos = end + 1;
    }
    if (lines.empty() || split_whitespace(lines[0].second) != std::vector{kMagic}) {
      return invalid(1, "does not start with the ncnn magic number 7767517");
    }
    if (lines.size() < 2) return invalid(lines[0].first + 1, "ends before the layer count");
    const auto header = split_whitespace(lines[1].second);
    int layer_count = 0, blob_count = 0;
    if (header.size() != 2 || !parse_number(header[0], layer_count) ||
        !parse_number(header[1], blob_count) || layer_count < 1 || layer_count > kMaxLayers ||
        blob_count < 1) {
      return invalid(lines[1].first,
                     "expected 'layer_count blob_count', two positive integers "
                     "(at most " +
                         std::to_string(kMaxLayers) + " layers)");
    }
    const size_t found = lines.size() - 2;
    if (found != static_cast<size_t>(layer_count)) {
      return invalid(lines[1].first, "declares " + std::to_string(layer_count) + " layers but " +
                                         std::to_string(found) +
                                         " layer lines follow; the file is truncated or edited");
    }
    std::vector<NcnnLayer> layers;
    std::set<std::string> blobs;
    for (size_t i = 2; i < lines.size(); ++i) {
      RESR_ASSIGN_OR_RETURN(NcnnLayer layer, parse_layer(lines[i].first, lines[i].second));
      for (const std::string& top : layer.tops) blobs.insert(top);
      layers.push_back(std::move(layer));
    }
    if (blobs.size() > static_cast<size_t>(blob_count)) {
      return invalid(lines[1].first, "declares " + std::to_string(blob_count) + " blobs but " +
                                         std::to_string(blobs.size()) + " are produced");
    }
    return layers;
  }

 private:
  Status invalid(int line, const std::string& message) const {
    return error(ErrorCode::kInvalidModel,
                 what_ + ", line " + std::to_string(line) + ": " + message);
  }

  Result<NcnnLayer> parse_layer(int line, std::string_view text) const {
    const auto tokens = split_whitespace(text);
    NcnnLayer layer;
    layer.line = line;
    int n_in = -1, n_out = -1;
    if (tokens.size() < 4 || !parse_number(tokens[2], n_in) || !parse_number(tokens[3], n_out) ||
        n_in < 0 || n_out < 0 || n_in > kMaxBlobsPerLayer || n_out > kMaxBlobsPerLayer) {
      return invalid(line,
                     "expected 'Type name inputs outputs ...' with input and output counts "
                     "between 0 and " +
                         std::to_string(kMaxBlobsPerLayer));
    }
    layer.type = tokens[0];
    layer.name = tokens[1];
    if (tokens.size() < 4 + static_cast<size_t>(n_in + n_out)) {
      return invalid(line, "layer '" + layer.name + "' names " + std::to_string(n_in) +
                               " input and " + std::to_string(n_out) +
                               " output blobs but the line ends after " +
                               std::to_string(tokens.size() - 4));
    }
    for (int i = 0; i < n_in; ++i) layer.bottoms.emplace_back(tokens[4 + i]);
    for (int i = 0; i < n_out; ++i) layer.tops.emplace_back(tokens[4 + n_in + i]);
    for (size_t t = 4 + n_in + n_out; t < tokens.size(); ++t) {
      const std::string_view kv = tokens[t];
      const size_t eq = kv.find('=');
      int key = 0;
      if (eq == std::string_view::npos || !parse_number(kv.substr(0, eq), key)) {
        return invalid(line, "layer '" + layer.name + "': '" + std::string(kv) +
                                 "' is not a key=value parameter");
      }
      ParamValue value;
      value.is_array = key <= -23300;
      if (value.is_array) key = -23300 - key;  // not -key - 23300: -INT_MIN overflows
      if (key < 0 || key > kMaxParamKey) {
        return invalid(line, "layer '" + layer.name + "': parameter key in '" + std::string(kv) +
                                 "' is out of range");
      }
      std::string_view rest = kv.substr(eq + 1);
      std::vector<std::string_view> parts;
      while (true) {
        const size_t comma = rest.find(',');
        parts.push_back(rest.substr(0, comma));
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
      int count = 1;
      if (value.is_array &&
          (!parse_number(parts[0], count) || count != static_cast<int>(parts.size()) - 1)) {
        return invalid(line, "layer '" + layer.name + "': array parameter '" + std::string(kv) +
                                 "' does not hold the number of values it announces");
      }
      if (!value.is_array && parts.size() != 1) {
        return invalid(line, "layer '" + layer.name + "': '" + std::string(kv) +
                                 "' has several values but a non-array key");
      }
      for (size_t p = value.is_array ? 1 : 0; p < parts.size(); ++p) {
        double v = 0;
        bool is_float = false;
        if (!parse_value(parts[p], v, is_float)) {
          return invalid(line, "layer '" + layer.name + "': '" + std::string(parts[p]) + "' in '" +
                                   std::string(kv) + "' is not a number");
        }
        value.is_float = value.is_float || is_float;
        value.values.push_back(v);
      }
      layer.params[key] = std::move(value);
    }
    return layer;
  }

  std::string_view text_;
  std::string what_;
};

// Reads weights in file order, refusing to read past the end.
class BinReader {
 public:
  BinReader(std::span<const uint8_t> bytes, std::string what)
      : bytes_(bytes), what_(std::move(what)) {}

  // A Convolution weight: a storage tag, then the values.
  Result<std::vector<float>> tagged(int64_t count, const std::string& of) {
    const size_t at = pos_;
    if (bytes_.size() - pos_ < 4) return truncated(4, "the storage tag of " + of);
    const uint32_t tag = load_little_endian<uint32_t>(bytes_.data() + pos_);
    pos_ += 4;
    if (tag == kTagFloat32 || tag == kTagFloat32Scaled) return raw(count, of);
    if (tag == kTagFloat16) {
      const size_t bytes = (static_cast<size_t>(count) * 2 + 3) / 4 * 4;  // padded to 4
      if (bytes_.size() - pos_ < bytes) return truncated(bytes, of + " (float16)");
      std::vector<float> out(static_cast<size_t>(count));
      widen_to_float(StoredFloat::kFloat16, bytes_.data() + pos_, out.size(), 1, out.data());
      pos_ += bytes;
      return out;
    }
    char hex[11];
    std::snprintf(hex, sizeof hex, "0x%08X", tag);
    if (tag == kTagInt8) {
      return error(ErrorCode::kUnsupported,
                   what_ + ": " + of + " at byte " + std::to_string(at) +
                       " is int8-quantised (tag 0x000D4B38); use a float32 or float16 model");
    }
    return error(ErrorCode::kInvalidModel,
                 what_ + ": " + of + " at byte " + std::to_string(at) + " has storage tag " + hex +
                     ", not float32 (0) or float16 (0x01306B47); the .bin is corrupt, belongs "
                     "to another .param, or uses ncnn's table quantisation, which is not "
                     "supported");
  }

  // Biases and PReLU slopes: float32 without a tag.
  Result<std::vector<float>> raw(int64_t count, const std::string& of) {
    const size_t bytes = static_cast<size_t>(count) * 4;
    if (bytes_.size() - pos_ < bytes) return truncated(bytes, of);
    std::vector<float> out(static_cast<size_t>(count));
    widen_to_float(StoredFloat::kFloat32, bytes_.data() + pos_, out.size(), 1, out.data());
    pos_ += bytes;
    return out;
  }

  Status finish() const {
    if (pos_ == bytes_.size()) return Status::ok();
    return error(ErrorCode::kInvalidModel,
                 what_ + " has " + std::to_string(bytes_.size() - pos_) +
                     " bytes left after the last weight (which ends at byte " +
                     std::to_string(pos_) + "): it does not belong to this .param");
  }

 private:
  Status truncated(size_t need, const std::string& of) const {
    return error(ErrorCode::kInvalidModel,
                 what_ + " is too short: " + of + " needs " + std::to_string(need) +
                     " bytes at byte " + std::to_string(pos_) + " but the file has " +
                     std::to_string(bytes_.size() - pos_) +
                     " left; it is truncated or belongs to another .param");
  }

  std::span<const uint8_t> bytes_;
  std::string what_;
  size_t pos_ = 0;
};

// A trailing resize ncnn files may append after the network (animevideov3's
// x2/x3 files shrink the x4 result with bicubic interpolation).
struct OutputResize {
  std::string source;
  std::string top;
  float factor = 1;
};

class Lowering {
 public:
  Lowering(std::span<const uint8_t> bin, const std::string& origin)
      : what_("ncnn model '" + origin + "'"),
        bin_(bin, "weights file (.bin) of ncnn model '" + origin + "'") {}

  Result<LoadedWeights> run(const std::vector<NcnnLayer>& layers) {
    for (const NcnnLayer& layer : layers) RESR_RETURN_IF_ERROR(lower(layer));
    if (!has_input_) return invalid(layers.front(), "the graph has no Input layer");
    RESR_RETURN_IF_ERROR(bin_.finish());
    std::vector<std::string> outputs;
    for (const auto& [blob, layer] : blobs_) {
      if (!consumed_.count(blob)) outputs.push_back(blob);
    }
    if (outputs.size() != 1) {
      std::string names;
      for (const std::string& o : outputs) names += (names.empty() ? "'" : ", '") + o + "'";
      return error(ErrorCode::kUnsupported, what_ + " has " + std::to_string(outputs.size()) +
                                                " output blobs (" + names +
                                                "); exactly one was expected");
    }
    graph_.output = blobs_.at(outputs[0]);
    if (resize_ && resize_->top == outputs[0]) {
      return error(ErrorCode::kUnsupported,
                   what_ + " ends with " + resize_->source + ", a resize by " +
                       std::to_string(resize_->factor).substr(0, 4) +
                       " after the network, which this loader does not run: load the .param "
                       "of the network without it (for realesr-animevideov3-x2/x3 that is "
                       "the -x4 file, with the same .bin) and ask for the output scale you want");
    }
    if (resize_) return unsupported_layer(resize_->source + " is used inside the network");
    return recognise_layer_graph(std::move(graph_), what_, "ncnn");
  }

 private:
  static std::string describe(const NcnnLayer& l) { return l.type + " '" + l.name + "'"; }

  Status invalid(const NcnnLayer& l, const std::string& message) const {
    return error(ErrorCode::kInvalidModel,
                 what_ + ", line " + std::to_string(l.line) + ", " + describe(l) + ": " + message);
  }
  Status unsupported(const NcnnLayer& l, const std::string& message) const {
    return error(ErrorCode::kUnsupported,
                 what_ + ", line " + std::to_string(l.line) + ", " + describe(l) + ": " + message);
  }
  Status unsupported_layer(const std::string& message) const {
    return error(ErrorCode::kUnsupported, what_ + ": " + message + "; " + kSupportedLayers);
  }

  Result<int64_t> get_int(const NcnnLayer& l, int key, int64_t fallback) const {
    auto it = l.params.find(key);
    if (it == l.params.end()) return fallback;
    if (it->second.is_array || it->second.is_float) {
      return invalid(l, "parameter " + std::to_string(key) + " must be one integer");
    }
    return static_cast<int64_t>(it->second.values[0]);
  }
  Result<float> get_float(const NcnnLayer& l, int key, float fallback) const {
    auto it = l.params.find(key);
    if (it == l.params.end()) return fallback;
    if (it->second.is_array) return invalid(l, "parameter " + std::to_string(key) + " is an array");
    return static_cast<float>(it->second.values[0]);
  }
  std::vector<float> get_array(const NcnnLayer& l, int key) const {
    auto it = l.params.find(key);
    if (it == l.params.end()) return {};
    return std::vector<float>(it->second.values.begin(), it->second.values.end());
  }

  Status expect_blobs(const NcnnLayer& l, size_t n_in, size_t n_out) const {
    if (l.bottoms.size() == n_in && l.tops.size() == n_out) return Status::ok();
    return invalid(l, "has " + std::to_string(l.bottoms.size()) + " inputs and " +
                          std::to_string(l.tops.size()) + " outputs; expected " +
                          std::to_string(n_in) + " and " + std::to_string(n_out));
  }

  Result<std::vector<int>> inputs_of(const NcnnLayer& l) {
    std::vector<int> ids;
    for (const std::string& b : l.bottoms) {
      auto it = blobs_.find(b);
      if (it == blobs_.end()) {
        return invalid(l, "reads blob '" + b + "', which no earlier layer produces");
      }
      consumed_.insert(b);
      ids.push_back(it->second);
    }
    return ids;
  }

  Status produce(const NcnnLayer& l, const std::string& top, int id) {
    if (!blobs_.emplace(top, id).second) {
      return invalid(l, "produces blob '" + top + "' a second time");
    }
    return Status::ok();
  }

  Status emit(const NcnnLayer& l, Layer layer) {
    layer.source = "layer " + describe(l) + " (line " + std::to_string(l.line) + ")";
    return produce(l, l.tops[0], graph_.add(std::move(layer)));
  }

  Status lower(const NcnnLayer& l) {
    if (l.type == "Input") return lower_input(l);
    RESR_ASSIGN_OR_RETURN(std::vector<int> in, inputs_of(l));
    Layer layer;
    layer.inputs = in;
    if (l.type == "Split") {
      if (l.bottoms.size() != 1 || l.tops.empty()) {
        return invalid(l, "needs one input and at least one output");
      }
      for (const std::string& top : l.tops) RESR_RETURN_IF_ERROR(produce(l, top, in[0]));
      return Status::ok();
    }
    if (l.type == "Convolution") return lower_convolution(l, std::move(layer));
    if (l.type == "ReLU") {
      RESR_RETURN_IF_ERROR(expect_blobs(l, 1, 1));
      RESR_ASSIGN_OR_RETURN(layer.negative_slope, get_float(l, 0, 0.0f));
      layer.kind = LayerKind::kActivation;
      layer.activation = layer.negative_slope == 0.0f ? Activation::kRelu : Activation::kLeakyRelu;
      return emit(l, std::move(layer));
    }
    if (l.type == "PReLU") {
      RESR_RETURN_IF_ERROR(expect_blobs(l, 1, 1));
      RESR_ASSIGN_OR_RETURN(int64_t n, get_int(l, 0, 0));
      if (n < 1 || n > kMaxChannels) return invalid(l, "has " + std::to_string(n) + " slopes");
      RESR_ASSIGN_OR_RETURN(std::vector<float> slopes,
                            bin_.raw(n, "PReLU '" + l.name + "' slopes"));
      layer.kind = LayerKind::kActivation;
      layer.activation = Activation::kPRelu;
      layer.prelu_slopes = Tensor({n}, std::move(slopes));
      return emit(l, std::move(layer));
    }
    if (l.type == "Eltwise") {
      RESR_RETURN_IF_ERROR(expect_blobs(l, 2, 1));
      RESR_ASSIGN_OR_RETURN(int64_t op, get_int(l, 0, 0));
      if (op != 1) return unsupported(l, "operation " + std::to_string(op) + " is not a sum (1)");
      layer.coefficients = get_array(l, 1);
      if (layer.coefficients.empty()) layer.coefficients = {1.0f, 1.0f};
      if (layer.coefficients.size() != 2) return invalid(l, "needs one coefficient per input");
      layer.kind = LayerKind::kAdd;
      return emit(l, std::move(layer));
    }
    if (l.type == "BinaryOp") return lower_binary_op(l, std::move(layer));
    if (l.type == "Concat") {
      if (l.bottoms.empty() || l.tops.size() != 1) {
        return invalid(l, "needs at least one input and one output");
      }
      RESR_ASSIGN_OR_RETURN(int64_t axis, get_int(l, 0, 0));
      if (axis != 0 && axis != -3) return unsupported(l, "concatenates along a spatial axis");
      layer.kind = LayerKind::kConcat;
      return emit(l, std::move(layer));
    }
    if (l.type == "Interp") return lower_interp(l, std::move(layer));
    if (l.type == "PixelShuffle" || l.type == "Reorg") {
      RESR_RETURN_IF_ERROR(expect_blobs(l, 1, 1));
      RESR_ASSIGN_OR_RETURN(int64_t factor, get_int(l, 0, l.type == "Reorg" ? 0 : 1));
      RESR_ASSIGN_OR_RETURN(int64_t mode, get_int(l, 1, 0));
      if (factor < 1 || factor > 16 || (mode != 0 && mode != 1)) {
        return unsupported(l, "factor " + std::to_string(factor) + " mode " + std::to_string(mode) +
                                  " (expected factor 1-16, mode 0 or 1)");
      }
      layer.kind = l.type == "Reorg" ? LayerKind::kPixelUnshuffle : LayerKind::kPixelShuffle;
      layer.factor = static_cast<int>(factor);
      layer.block_major = mode == 1;
      return emit(l, std::move(layer));
    }
    return unsupported_layer("line " + std::to_string(l.line) + ": layer '" + l.name +
                             "' has type '" + l.type + "'");
  }

  Status lower_input(const NcnnLayer& l) {
    RESR_RETURN_IF_ERROR(expect_blobs(l, 0, 1));
    if (has_input_) return unsupported(l, "a second Input; one image input was expected");
    if (!graph_.layers.empty()) return invalid(l, "the Input layer must come first");
    RESR_ASSIGN_OR_RETURN(int64_t channels, get_int(l, 2, 0));
    if (channels > 0 && channels != 3) {
      return unsupported(l, "takes " + std::to_string(channels) + " channels; RGB (3) expected");
    }
    has_input_ = true;
    Layer input;
    input.source = "layer " + describe(l) + " (line " + std::to_string(l.line) + ")";
    return produce(l, l.tops[0], graph_.add(std::move(input)));
  }

  Status lower_convolution(const NcnnLayer& l, Layer conv) {
    RESR_RETURN_IF_ERROR(expect_blobs(l, 1, 1));
    RESR_ASSIGN_OR_RETURN(int64_t out, get_int(l, 0, 0));
    RESR_ASSIGN_OR_RETURN(int64_t kernel, get_int(l, 1, 0));
    RESR_ASSIGN_OR_RETURN(int64_t kernel_h, get_int(l, 11, kernel));
    RESR_ASSIGN_OR_RETURN(int64_t dilation, get_int(l, 2, 1));
    RESR_ASSIGN_OR_RETURN(int64_t dilation_h, get_int(l, 12, dilation));
    RESR_ASSIGN_OR_RETURN(int64_t stride, get_int(l, 3, 1));
    RESR_ASSIGN_OR_RETURN(int64_t stride_h, get_int(l, 13, stride));
    RESR_ASSIGN_OR_RETURN(int64_t pad_left, get_int(l, 4, 0));
    RESR_ASSIGN_OR_RETURN(int64_t pad_top, get_int(l, 14, pad_left));
    RESR_ASSIGN_OR_RETURN(int64_t pad_right, get_int(l, 15, pad_left));
    RESR_ASSIGN_OR_RETURN(int64_t pad_bottom, get_int(l, 16, pad_top));
    RESR_ASSIGN_OR_RETURN(float pad_value, get_float(l, 18, 0.0f));
    RESR_ASSIGN_OR_RETURN(int64_t bias_term, get_int(l, 5, 0));
    RESR_ASSIGN_OR_RETURN(int64_t weight_count, get_int(l, 6, 0));
    RESR_ASSIGN_OR_RETURN(int64_t int8_scales, get_int(l, 8, 0));
    RESR_ASSIGN_OR_RETURN(int64_t activation, get_int(l, 9, 0));
    RESR_ASSIGN_OR_RETURN(int64_t dynamic_weight, get_int(l, 19, 0));
    if (out < 1 || out > kMaxChannels) {
      return invalid(l, "has " + std::to_string(out) + " outputs (parameter 0)");
    }
    if (kernel < 1 || kernel > kMaxKernel || kernel % 2 == 0 || kernel_h != kernel) {
      return unsupported(l, "kernel " + std::to_string(kernel) + "x" + std::to_string(kernel_h) +
                                "; a square odd-sized kernel was expected");
    }
    if (dilation != 1 || dilation_h != 1 || stride != 1 || stride_h != 1) {
      return unsupported(l, "uses stride or dilation; Real-ESRGAN convolutions have neither");
    }
    const bool same = pad_left == -233 || pad_left == -234;  // ncnn's SAME_UPPER/SAME_LOWER
    const int64_t p = kernel / 2;
    if (!same && (pad_left != p || pad_top != p || pad_right != p || pad_bottom != p)) {
      return unsupported(l, "pads " + std::to_string(pad_left) + "/" + std::to_string(pad_top) +
                                "/" + std::to_string(pad_right) + "/" + std::to_string(pad_bottom) +
                                "; 'same' padding of " + std::to_string(p) + " was expected");
    }
    if (pad_value != 0.0f || int8_scales != 0 || dynamic_weight != 0) {
      return unsupported(l, "uses a pad value, int8 scales or dynamic weights");
    }
    const int64_t per_input = out * kernel * kernel;
    if (weight_count < per_input || weight_count % per_input != 0 ||
        weight_count / per_input > kMaxChannels) {
      return invalid(l, "weight count " + std::to_string(weight_count) +
                            " (parameter 6) is not outputs x inputs x kernel x kernel");
    }
    conv.kind = LayerKind::kConv;
    RESR_ASSIGN_OR_RETURN(std::vector<float> w,
                          bin_.tagged(weight_count, "the weight of Convolution '" + l.name + "'"));
    conv.weight = Tensor({out, weight_count / per_input, kernel, kernel}, std::move(w));
    if (bias_term) {
      RESR_ASSIGN_OR_RETURN(std::vector<float> b,
                            bin_.raw(out, "the bias of Convolution '" + l.name + "'"));
      conv.bias = Tensor({out}, std::move(b));
    }
    if (activation == 0) return emit(l, std::move(conv));
    if (activation != 1 && activation != 2) {
      return unsupported(l, "fused activation type " + std::to_string(activation) +
                                "; only none (0), ReLU (1) and LeakyReLU (2) are supported");
    }
    Layer act;
    act.kind = LayerKind::kActivation;
    act.activation = Activation::kRelu;
    if (activation == 2) {
      const std::vector<float> params = get_array(l, 10);
      if (params.size() != 1) return invalid(l, "LeakyReLU needs its slope in parameter 10");
      act.activation = Activation::kLeakyRelu;
      act.negative_slope = params[0];
    }
    conv.source = "layer " + describe(l) + " (line " + std::to_string(l.line) + ")";
    act.source = conv.source + "'s activation";
    act.inputs = {graph_.add(std::move(conv))};
    return emit(l, std::move(act));
  }

  Status lower_binary_op(const NcnnLayer& l, Layer layer) {
    RESR_ASSIGN_OR_RETURN(int64_t op, get_int(l, 0, 0));
    RESR_ASSIGN_OR_RETURN(int64_t with_scalar, get_int(l, 1, 0));
    RESR_ASSIGN_OR_RETURN(float b, get_float(l, 2, 0.0f));
    constexpr int64_t kAddOp = 0, kMulOp = 2, kDivOp = 3;
    if (!with_scalar && op == kAddOp) {
      RESR_RETURN_IF_ERROR(expect_blobs(l, 2, 1));
      layer.kind = LayerKind::kAdd;
      layer.coefficients = {1.0f, 1.0f};
      return emit(l, std::move(layer));
    }
    if (with_scalar && (op == kMulOp || (op == kDivOp && b != 0.0f))) {
      RESR_RETURN_IF_ERROR(expect_blobs(l, 1, 1));
      layer.kind = LayerKind::kScale;
      layer.scale = op == kMulOp ? b : 1.0f / b;
      return emit(l, std::move(layer));
    }
    return unsupported(l, "operation " + std::to_string(op) +
                              (with_scalar ? " with a scalar" : " of two blobs") +
                              "; only a sum of two blobs or a product with a scalar is supported");
  }

  Status lower_interp(const NcnnLayer& l, Layer layer) {
    RESR_RETURN_IF_ERROR(expect_blobs(l, 1, 1));
    RESR_ASSIGN_OR_RETURN(int64_t type, get_int(l, 0, 0));
    RESR_ASSIGN_OR_RETURN(float scale_h, get_float(l, 1, 1.0f));
    RESR_ASSIGN_OR_RETURN(float scale_w, get_float(l, 2, 1.0f));
    RESR_ASSIGN_OR_RETURN(int64_t out_h, get_int(l, 3, 0));
    RESR_ASSIGN_OR_RETURN(int64_t out_w, get_int(l, 4, 0));
    RESR_ASSIGN_OR_RETURN(int64_t dynamic_size, get_int(l, 5, 0));
    if (out_h != 0 || out_w != 0 || dynamic_size != 0) {
      return unsupported(l, "resizes to a fixed or borrowed size; a scale factor was expected");
    }
    constexpr int64_t kNearest = 1;
    if (type == kNearest && scale_h == scale_w && scale_h >= 1.0f && scale_h <= 16.0f &&
        scale_h == std::floor(scale_h)) {
      layer.kind = LayerKind::kUpsampleNearest;
      layer.factor = static_cast<int>(scale_h);
      return emit(l, std::move(layer));
    }
    if (resize_ || scale_h != scale_w) {
      return unsupported(l, "resize type " + std::to_string(type) + " by " +
                                std::to_string(scale_h) + " x " + std::to_string(scale_w) +
                                "; only nearest upsampling by an integer is supported");
    }
    // Maybe the output-size resize a few files append; decided once the output is known.
    resize_ = OutputResize{"layer " + describe(l) + " (line " + std::to_string(l.line) + ")",
                           l.tops[0], scale_h};
    return produce(l, l.tops[0], layer.inputs[0]);
  }

  std::string what_;
  BinReader bin_;
  LayerGraph graph_;
  bool has_input_ = false;
  std::unordered_map<std::string, int> blobs_;
  std::set<std::string> consumed_;
  std::optional<OutputResize> resize_;
};

}  // namespace

bool looks_like_ncnn_param(std::span<const uint8_t> bytes) {
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return false;
  text.remove_prefix(start);
  return text.substr(0, kMagic.size()) == kMagic &&
         (text.size() == kMagic.size() ||
          std::isspace(static_cast<unsigned char>(text[kMagic.size()])));
}

Result<LoadedWeights> load_ncnn(std::string_view param_text, std::span<const uint8_t> bin,
                                const std::string& origin) {
  if (param_text.substr(0, 3) == "\xEF\xBB\xBF") param_text.remove_prefix(3);
  RESR_ASSIGN_OR_RETURN(std::vector<NcnnLayer> layers,
                        ParamFile(param_text, "ncnn model '" + origin + "'").parse());
  return Lowering(bin, origin).run(layers);
}

}  // namespace resr
