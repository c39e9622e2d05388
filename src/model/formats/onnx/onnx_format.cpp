// ONNX models: the graph is walked in its (topological) node order. Every
// value is either data, which flows from the image input and is lowered to a
// LayerGraph, or a constant (weights, and the shape arithmetic exporters emit
// for dynamic sizes), which is folded here. Data values carry a concrete
// shape for a representative input size, so that shape arithmetic, Resize
// sizes and Reshape targets can be checked with real numbers.
#include "model/formats/onnx/onnx_format.hpp"

#include <algorithm>
#include <climits>
#include <optional>
#include <unordered_map>
#include <variant>

#include "model/formats/layer_graph.hpp"
#include "model/formats/layer_graph_recognizer.hpp"
#include "model/formats/onnx/onnx_constants.hpp"
#include "model/formats/onnx/rearrangement.hpp"

namespace resr {

namespace {

constexpr const char* kSupportedOps =
    "only Conv, LeakyRelu, PRelu, Relu, Add, Mul, Concat, Resize/Upsample (nearest), "
    "DepthToSpace, SpaceToDepth, Reshape/Transpose (pixel-unshuffle) and shape arithmetic "
    "(Shape, Gather, Unsqueeze, Concat, Cast, Slice, Div...) are supported";

// An input size to reason with when the graph leaves it open: divisible by
// every unshuffle factor, and not square, so a transposition shows.
constexpr int64_t kProbeHeight = 96;
constexpr int64_t kProbeWidth = 160;
constexpr int64_t kMaxSide = 1 << 20;
constexpr int64_t kMaxDimension = int64_t{1} << 40;  // keeps shape arithmetic from overflowing
constexpr int kMaxNodes = 1 << 20;
// Shape arithmetic folds a few hundred values; this bounds the time and memory
// a crafted chain of Concat/Unsqueeze nodes could make folding take.
constexpr size_t kMaxFoldedValues = size_t{1} << 22;
constexpr int64_t kMaxFactor = 16;

struct DataValue {
  int layer = 0;
  std::vector<int64_t> shape;  // concrete, for the representative input size
  // Set while Reshape/Transpose/... rearrange the layer's output into
  // something that is not yet a pixel (un)shuffle; no layer may read it then.
  std::optional<Rearrangement> pending;
};

using Value = std::variant<OnnxConstantPtr, DataValue>;

DataValue plain(int layer, std::vector<int64_t> shape) {
  DataValue v;
  v.layer = layer;
  v.shape = std::move(shape);
  return v;
}

int64_t opset_of(const onnx::ModelProto& model) {
  for (const onnx::OperatorSetIdProto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  }
  return 0;
}

std::string attribute_string(const onnx::NodeProto& node, const std::string& name,
                             const std::string& fallback) {
  const onnx::AttributeProto* a = find_onnx_attribute(node, name);
  return a ? a->s() : fallback;
}

class OnnxLowering {
 public:
  OnnxLowering(const onnx::GraphProto& graph, int64_t opset, const std::string& origin)
      : graph_(graph), opset_(opset), what_("ONNX model '" + origin + "'") {}

  Result<LoadedWeights> run() {
    for (const onnx::TensorProto& t : graph_.initializer()) {
      if (!initializers_.emplace(t.name(), &t).second) {
        return invalid("initializer '" + t.name() + "' is defined twice");
      }
    }
    RESR_RETURN_IF_ERROR(add_input());
    if (graph_.node_size() > kMaxNodes) return invalid("has too many nodes");
    for (int i = 0; i < graph_.node_size(); ++i) {
      RESR_RETURN_IF_ERROR(lower(graph_.node(i), i));
    }
    if (graph_.output_size() != 1) {
      return unsupported("has " + std::to_string(graph_.output_size()) +
                         " outputs; one image output was expected");
    }
    const std::string& name = graph_.output(0).name();
    auto it = values_.find(name);
    const DataValue* out = it == values_.end() ? nullptr : std::get_if<DataValue>(&it->second);
    if (!out || out->pending) {
      return invalid("output '" + name + "' is not computed from the input image");
    }
    layers_.output = out->layer;
    return recognise_layer_graph(std::move(layers_), what_, "onnx");
  }

 private:
  Status invalid(const std::string& message) const {
    return error(ErrorCode::kInvalidModel, what_ + ": " + message);
  }
  Status unsupported(const std::string& message) const {
    return error(ErrorCode::kUnsupported, what_ + ": " + message);
  }

  Status add_input() {
    const onnx::ValueInfoProto* input = nullptr;
    for (const onnx::ValueInfoProto& v : graph_.input()) {
      if (initializers_.count(v.name())) continue;  // older exports list weights as inputs
      if (input) return unsupported("has more than one input; one image input was expected");
      input = &v;
    }
    if (!input) return invalid("has no input");
    std::vector<int64_t> shape = {1, 3, kProbeHeight, kProbeWidth};
    if (input->type().has_tensor_type() && input->type().tensor_type().has_shape()) {
      const auto& dims = input->type().tensor_type().shape().dim();
      if (dims.size() != 4) {
        return unsupported("input '" + input->name() + "' has " + std::to_string(dims.size()) +
                           " dimensions; an N x 3 x H x W image was expected");
      }
      for (int i = 0; i < 4; ++i) {
        if (!dims[i].has_dim_value() || dims[i].dim_value() <= 0) continue;
        if (dims[i].dim_value() > kMaxSide) return invalid("input dimension out of range");
        if (i > 0) shape[i] = dims[i].dim_value();
      }
      if (shape[1] != 3) {
        return unsupported("input '" + input->name() + "' has " + std::to_string(shape[1]) +
                           " channels; an RGB (3-channel) model was expected");
      }
    }
    Layer layer;
    layer.source = "input '" + input->name() + "'";
    values_[input->name()] = plain(layers_.add(std::move(layer)), shape);
    return Status::ok();
  }

  std::string describe(const onnx::NodeProto& node, int index) const {
    const std::string name = node.name().empty() ? "#" + std::to_string(index) : node.name();
    return "node '" + name + "' (" + node.op_type() + ")";
  }

  // The node's inputs; null for an absent optional input ("").
  Result<std::vector<const Value*>> inputs_of(const onnx::NodeProto& node, const std::string& at) {
    std::vector<const Value*> in;
    for (const std::string& name : node.input()) {
      if (name.empty()) {
        in.push_back(nullptr);
        continue;
      }
      auto it = values_.find(name);
      if (it == values_.end()) {
        auto init = initializers_.find(name);
        if (init == initializers_.end()) {
          return invalid(at + " reads '" + name +
                         "', which is no input, initializer or earlier node's output (nodes "
                         "must be in topological order)");
        }
        RESR_ASSIGN_OR_RETURN(OnnxConstantPtr c,
                              decode_onnx_tensor(*init->second, "initializer '" + name + "'"));
        it = values_.emplace(name, c).first;
      }
      in.push_back(&it->second);
    }
    return in;
  }

  Status define(const onnx::NodeProto& node, Value value) {
    if (node.output_size() < 1 || node.output(0).empty()) return Status::ok();
    values_[node.output(0)] = std::move(value);
    return Status::ok();
  }

  Status emit(const onnx::NodeProto& node, const std::string& at, Layer layer,
              std::vector<int64_t> shape) {
    for (int64_t d : shape) {
      if (d > kMaxDimension) return invalid(at + " makes the image impossibly large");
    }
    layer.source = at;
    return define(node, plain(layers_.add(std::move(layer)), std::move(shape)));
  }

  Status lower(const onnx::NodeProto& node, int index) {
    const std::string at = describe(node, index);
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
      return unsupported(at + " is from operator domain '" + node.domain() + "'; " + kSupportedOps);
    }
    const std::string& op = node.op_type();
    if (op == "Constant") {
      RESR_ASSIGN_OR_RETURN(OnnxConstantPtr c, onnx_constant_node_value(node, what_ + ", " + at));
      return define(node, c);
    }
    RESR_ASSIGN_OR_RETURN(std::vector<const Value*> in, inputs_of(node, at));
    std::vector<const DataValue*> data;
    std::vector<OnnxConstantPtr> constants;
    for (const Value* v : in) {
      const DataValue* d = v ? std::get_if<DataValue>(v) : nullptr;
      if (d) data.push_back(d);
      constants.push_back(v && !d ? std::get<OnnxConstantPtr>(*v) : nullptr);
    }
    if (op == "Shape") return lower_shape(node, at, in);
    if (data.empty()) {
      if (!is_onnx_constant_op(op)) {
        return unsupported(at + " is not a supported operator; " + std::string(kSupportedOps));
      }
      auto too_many_values = [&] {
        return unsupported(at + ": the graph computes more than " +
                           std::to_string(kMaxFoldedValues) +
                           " constant values at load time; only shape arithmetic is folded");
      };
      // Concat is the one foldable op whose value outgrows its inputs (they
      // all go into it): counted before it is built, or one that repeats a
      // large value many times allocates without bound.
      if (op == "Concat") {
        size_t values = folded_values_;
        for (const OnnxConstantPtr& input : constants) values += input ? input->size() : 0;
        if (values > kMaxFoldedValues) return too_many_values();
      }
      RESR_ASSIGN_OR_RETURN(OnnxConstantPtr c,
                            evaluate_onnx_constant_op(node, constants, opset_, what_ + ", " + at));
      const bool shared = std::find(constants.begin(), constants.end(), c) != constants.end();
      folded_values_ += shared ? 0 : c->size();
      if (folded_values_ > kMaxFoldedValues) return too_many_values();
      return define(node, c);
    }
    if (op == "Reshape" || op == "Transpose" || op == "Unsqueeze" || op == "Squeeze") {
      return lower_rearrangement(node, at, in, constants);
    }
    for (const DataValue* d : data) {
      if (d->pending) {
        return unsupported(at +
                           " reads a tensor that Reshape/Transpose/... left rearranged; "
                           "only complete pixel (un)shuffles are supported");
      }
    }
    const DataValue& x = *data[0];
    if (in[0] == nullptr || std::get_if<DataValue>(in[0]) != &x) {
      if (op != "Add" && op != "Mul") {
        return unsupported(at + " takes the image data as a later input");
      }
    }
    if (op == "Conv") return lower_conv(node, at, x, constants);
    if (op == "Relu" || op == "LeakyRelu" || op == "PRelu") {
      return lower_activation(node, at, x, constants);
    }
    if (op == "Add") return lower_add(node, at, data, in.size());
    if (op == "Mul" || op == "Div") return lower_scale(node, at, data, constants);
    if (op == "Concat") return lower_concat(node, at, data, in.size());
    if (op == "Resize" || op == "Upsample") return lower_resize(node, at, x, constants);
    if (op == "DepthToSpace" || op == "SpaceToDepth") return lower_depth_space(node, at, x);
    if (op == "Identity" || op == "Cast") {
      const int64_t to = onnx_int_attribute(node, "to", onnx::TensorProto::FLOAT);
      if (op == "Cast" && to != onnx::TensorProto::FLOAT && to != onnx::TensorProto::FLOAT16 &&
          to != onnx::TensorProto::DOUBLE && to != onnx::TensorProto::BFLOAT16) {
        return unsupported(at + " casts the image to a non-float type");
      }
      return define(node, x);
    }
    return unsupported(at + " is not a supported operator; " + std::string(kSupportedOps));
  }

  Status lower_shape(const onnx::NodeProto& node, const std::string& at,
                     const std::vector<const Value*>& in) {
    const DataValue* d = in.size() == 1 && in[0] ? std::get_if<DataValue>(in[0]) : nullptr;
    std::vector<int64_t> shape;
    if (d) {
      shape = d->shape;
    } else if (in.size() == 1 && in[0]) {
      shape = std::get<OnnxConstantPtr>(*in[0])->dims;
    } else {
      return invalid(at + " needs one input");
    }
    const int64_t rank = static_cast<int64_t>(shape.size());
    auto clamp_axis = [rank](int64_t a) {
      return std::clamp(a < 0 ? a + rank : a, int64_t{0}, rank);
    };
    const int64_t start = clamp_axis(onnx_int_attribute(node, "start", 0));
    const int64_t end = clamp_axis(onnx_int_attribute(node, "end", rank));
    auto c = std::make_shared<OnnxConstant>();
    c->is_float = false;
    for (int64_t i = start; i < end; ++i) c->ints.push_back(shape[i]);
    c->dims = {static_cast<int64_t>(c->ints.size())};
    return define(node, OnnxConstantPtr(c));
  }

  Status lower_conv(const onnx::NodeProto& node, const std::string& at, const DataValue& x,
                    const std::vector<OnnxConstantPtr>& c) {
    if (c.size() < 2 || !c[1] || !c[1]->is_float || c[1]->dims.size() != 4) {
      return unsupported(at + " needs constant float weights {out, in, k, k}");
    }
    const OnnxConstant& w = *c[1];
    if (onnx_int_attribute(node, "group", 1) != 1) return lower_unshuffle_conv(node, at, x, c);
    const int64_t out = w.dims[0], in = w.dims[1], k = w.dims[2];
    if (k != w.dims[3] || k % 2 == 0 || out < 1 || in < 1) {
      return unsupported(at + " has weights " + shape_to_string(w.dims) +
                         "; a square odd-sized kernel was expected");
    }
    if (x.shape.size() != 4 || x.shape[1] != in) {
      return invalid(at + " has weights " + shape_to_string(w.dims) + " for an input of shape " +
                     shape_to_string(x.shape));
    }
    const std::vector<int64_t> ones = {1, 1};
    const std::vector<int64_t> pads = onnx_ints_attribute(node, "pads");
    const std::string auto_pad = attribute_string(node, "auto_pad", "NOTSET");
    const std::vector<int64_t> kernel = onnx_ints_attribute(node, "kernel_shape");
    const std::vector<int64_t> strides = onnx_ints_attribute(node, "strides");
    const std::vector<int64_t> dilations = onnx_ints_attribute(node, "dilations");
    const bool same_pads = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER" ||
                           ((auto_pad == "NOTSET" || auto_pad.empty()) &&
                            pads == std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2}) ||
                           (k == 1 && pads.empty());
    if (onnx_int_attribute(node, "group", 1) != 1 || (!strides.empty() && strides != ones) ||
        (!dilations.empty() && dilations != ones) ||
        (!kernel.empty() && kernel != std::vector<int64_t>{k, k}) || !same_pads) {
      return unsupported(at +
                         ": only ungrouped, stride 1, undilated convolutions with 'same' "
                         "padding are supported");
    }
    Layer layer;
    layer.kind = LayerKind::kConv;
    layer.inputs = {x.layer};
    layer.weight = Tensor(w.dims, w.floats);
    if (c.size() > 2 && c[2]) {
      if (!c[2]->is_float || c[2]->dims != std::vector<int64_t>{out}) {
        return invalid(at + " has a bias of shape " + shape_to_string(c[2]->dims) + "; expected [" +
                       std::to_string(out) + "]");
      }
      layer.bias = Tensor({out}, c[2]->floats);
    }
    return emit(node, at, std::move(layer), {x.shape[0], out, x.shape[2], x.shape[3]});
  }

  // A grouped convolution whose kernel is a one-hot f x f block, applied with
  // stride f, only moves pixels: it is PyTorch's pixel_unshuffle by f (this
  // project's own exporter writes it so, as it keeps H and W dynamic).
  Status lower_unshuffle_conv(const onnx::NodeProto& node, const std::string& at,
                              const DataValue& x, const std::vector<OnnxConstantPtr>& c) {
    const OnnxConstant& w = *c[1];
    const int64_t channels = x.shape.size() == 4 ? x.shape[1] : 0;
    const int64_t f = w.dims[2];
    const int64_t blocks = f * f;
    const std::vector<int64_t> pads = onnx_ints_attribute(node, "pads");
    bool moves_pixels = onnx_int_attribute(node, "group", 1) == channels && f >= 2 &&
                        f <= kMaxFactor &&
                        w.dims == std::vector<int64_t>{channels * blocks, 1, f, f} &&
                        onnx_ints_attribute(node, "strides") == std::vector<int64_t>{f, f} &&
                        (pads.empty() || pads == std::vector<int64_t>(4, 0)) &&
                        attribute_string(node, "auto_pad", "NOTSET") == "NOTSET" &&
                        x.shape[2] % f == 0 && x.shape[3] % f == 0;
    for (size_t i = 0; moves_pixels && i < w.floats.size(); ++i) {
      // Output channel (c, k) takes pixel k of its block: weight [c * blocks + k][0][k].
      moves_pixels = w.floats[i] == ((i / blocks) % blocks == i % blocks ? 1.0f : 0.0f);
    }
    if (moves_pixels && c.size() > 2 && c[2]) {
      moves_pixels = c[2]->is_float && std::all_of(c[2]->floats.begin(), c[2]->floats.end(),
                                                   [](float b) { return b == 0.0f; });
    }
    if (!moves_pixels) {
      return unsupported(at +
                         ": grouped or strided convolutions are supported only as a "
                         "pixel unshuffle (one-hot kernel, stride = kernel)");
    }
    Layer layer;
    layer.kind = LayerKind::kPixelUnshuffle;
    layer.inputs = {x.layer};
    layer.factor = static_cast<int>(f);
    return emit(node, at, std::move(layer),
                {x.shape[0], channels * blocks, x.shape[2] / f, x.shape[3] / f});
  }

  Status lower_activation(const onnx::NodeProto& node, const std::string& at, const DataValue& x,
                          const std::vector<OnnxConstantPtr>& c) {
    Layer layer;
    layer.kind = LayerKind::kActivation;
    layer.inputs = {x.layer};
    if (node.op_type() == "Relu") {
      layer.activation = Activation::kRelu;
    } else if (node.op_type() == "LeakyRelu") {
      const onnx::AttributeProto* alpha = find_onnx_attribute(node, "alpha");
      layer.activation = Activation::kLeakyRelu;
      layer.negative_slope = alpha ? alpha->f() : 0.01f;  // ONNX's default
    } else {
      const int64_t channels = x.shape.size() == 4 ? x.shape[1] : 0;
      if (c.size() < 2 || !c[1] || !c[1]->is_float ||
          (c[1]->size() != 1 && c[1]->size() != static_cast<size_t>(channels))) {
        return unsupported(at + " needs constant slopes, one or one per channel (" +
                           std::to_string(channels) + ")");
      }
      // Broadcast against N x C x H x W, a per-channel slope is {C, 1, 1} or {1, C, 1, 1}.
      const std::vector<int64_t>& dims = c[1]->dims;
      for (size_t i = 0; i < dims.size() && c[1]->size() != 1; ++i) {
        if (dims[i] != (i + 3 == dims.size() ? channels : 1) || dims.size() < 3) {
          return unsupported(at + " has slopes of shape " + shape_to_string(dims) +
                             "; one per channel ({C, 1, 1}) was expected");
        }
      }
      layer.activation = Activation::kPRelu;
      layer.prelu_slopes = Tensor({static_cast<int64_t>(c[1]->size())}, c[1]->floats);
    }
    return emit(node, at, std::move(layer), x.shape);
  }

  Status lower_add(const onnx::NodeProto& node, const std::string& at,
                   const std::vector<const DataValue*>& data, size_t inputs) {
    if (data.size() != 2 || inputs != 2) {
      return unsupported(at +
                         " adds a constant; only the sum of two computed values is "
                         "supported");
    }
    if (data[0]->shape != data[1]->shape) {
      return invalid(at + " adds shapes " + shape_to_string(data[0]->shape) + " and " +
                     shape_to_string(data[1]->shape));
    }
    Layer layer;
    layer.kind = LayerKind::kAdd;
    layer.inputs = {data[0]->layer, data[1]->layer};
    layer.coefficients = {1.0f, 1.0f};
    return emit(node, at, std::move(layer), data[0]->shape);
  }

  Status lower_scale(const onnx::NodeProto& node, const std::string& at,
                     const std::vector<const DataValue*>& data,
                     const std::vector<OnnxConstantPtr>& c) {
    const OnnxConstantPtr& factor = c.size() == 2 ? (c[0] ? c[0] : c[1]) : nullptr;
    const bool divides = node.op_type() == "Div";
    if (data.size() != 1 || !factor || factor->size() != 1 || (divides && !c[1]) ||
        (divides && factor->at(0) == 0.0)) {
      return unsupported(at +
                         ": only multiplying or dividing by one constant number is "
                         "supported");
    }
    Layer layer;
    layer.kind = LayerKind::kScale;
    layer.inputs = {data[0]->layer};
    layer.scale = static_cast<float>(divides ? 1.0 / factor->at(0) : factor->at(0));
    return emit(node, at, std::move(layer), data[0]->shape);
  }

  Status lower_concat(const onnx::NodeProto& node, const std::string& at,
                      const std::vector<const DataValue*>& data, size_t inputs) {
    const int64_t axis = onnx_int_attribute(node, "axis", 1);
    if (data.size() != inputs || (axis != 1 && axis != -3)) {
      return unsupported(at +
                         ": only concatenating computed values along channels is "
                         "supported");
    }
    Layer layer;
    layer.kind = LayerKind::kConcat;
    std::vector<int64_t> shape = data[0]->shape;
    shape[1] = 0;
    for (const DataValue* d : data) {
      if (d->shape.size() != 4 || d->shape[0] != shape[0] || d->shape[2] != shape[2] ||
          d->shape[3] != shape[3]) {
        return invalid(at + " concatenates values of different sizes");
      }
      shape[1] += d->shape[1];
      // Checked as it grows: millions of copies of a 2^40-channel value would overflow.
      if (shape[1] > kMaxDimension) return invalid(at + " makes the image impossibly large");
      layer.inputs.push_back(d->layer);
    }
    return emit(node, at, std::move(layer), shape);
  }

  // PyTorch's nearest upsampling by an integer takes source pixel floor(x / s);
  // these coordinate modes select the same pixels.
  bool same_as_pytorch_nearest(const onnx::NodeProto& node) const {
    if (node.op_type() == "Upsample" || opset_ < 11) return true;  // asymmetric, floor
    const std::string mode = attribute_string(node, "coordinate_transformation_mode", "half_pixel");
    const std::string rounding = attribute_string(node, "nearest_mode", "round_prefer_floor");
    if (mode == "asymmetric" || mode == "tf_half_pixel_for_nn") return rounding == "floor";
    if (mode == "half_pixel" || mode == "pytorch_half_pixel") {
      return rounding == "round_prefer_floor" || rounding == "round_prefer_ceil";
    }
    return false;
  }

  Status lower_resize(const onnx::NodeProto& node, const std::string& at, const DataValue& x,
                      const std::vector<OnnxConstantPtr>& c) {
    if (attribute_string(node, "mode", "nearest") != "nearest") {
      return unsupported(at + " uses '" + attribute_string(node, "mode", "") +
                         "' interpolation; only nearest upsampling is supported");
    }
    if (find_onnx_attribute(node, "axes") || onnx_int_attribute(node, "antialias", 0) != 0 ||
        !same_as_pytorch_nearest(node)) {
      return unsupported(at +
                         " picks pixels differently from PyTorch's nearest upsampling "
                         "(coordinate_transformation_mode / nearest_mode / axes)");
    }
    // Scales: Upsample-7 attribute, Upsample-9/Resize-10 input 1, Resize-11+ input 2;
    // or Resize-11+ sizes in input 3.
    std::vector<double> scales;
    if (const onnx::AttributeProto* a = find_onnx_attribute(node, "scales")) {
      scales.assign(a->floats().begin(), a->floats().end());
    }
    const size_t scales_input = node.op_type() == "Upsample" || opset_ < 11 ? 1 : 2;
    if (scales.empty() && c.size() > scales_input && c[scales_input] &&
        c[scales_input]->size() > 0) {
      for (size_t i = 0; i < c[scales_input]->size(); ++i) {
        scales.push_back(c[scales_input]->at(i));
      }
    }
    if (scales.empty() && c.size() > 3 && c[3] && c[3]->size() == 4 && x.shape.size() == 4) {
      for (size_t i = 0; i < 4; ++i) {
        scales.push_back(c[3]->at(i) / static_cast<double>(x.shape[i]));
      }
    }
    const bool ok = scales.size() == 4 && scales[0] == 1 && scales[1] == 1 &&
                    scales[2] == scales[3] && scales[2] >= 1 && scales[2] <= kMaxFactor &&
                    scales[2] == static_cast<int64_t>(scales[2]);
    if (!ok) {
      return unsupported(at +
                         " does not upsample height and width by the same whole "
                         "factor (or its scales/sizes are not constant)");
    }
    Layer layer;
    layer.kind = LayerKind::kUpsampleNearest;
    layer.inputs = {x.layer};
    layer.factor = static_cast<int>(scales[2]);
    return emit(node, at, std::move(layer),
                {x.shape[0], x.shape[1], x.shape[2] * layer.factor, x.shape[3] * layer.factor});
  }

  Status lower_depth_space(const onnx::NodeProto& node, const std::string& at, const DataValue& x) {
    const int64_t b = onnx_int_attribute(node, "blocksize", 0);
    const bool to_space = node.op_type() == "DepthToSpace";
    if (b < 1 || b > kMaxFactor || x.shape.size() != 4 || (to_space && x.shape[1] % (b * b) != 0) ||
        (!to_space && (x.shape[2] % b != 0 || x.shape[3] % b != 0))) {
      return invalid(at + " has block size " + std::to_string(b) + " for shape " +
                     shape_to_string(x.shape));
    }
    Layer layer;
    layer.kind = to_space ? LayerKind::kPixelShuffle : LayerKind::kPixelUnshuffle;
    layer.inputs = {x.layer};
    layer.factor = static_cast<int>(b);
    // DepthToSpace defaults to DCR; SpaceToDepth only knows that order.
    layer.block_major = !to_space || attribute_string(node, "mode", "DCR") == "DCR";
    const std::vector<int64_t> shape =
        to_space
            ? std::vector<int64_t>{x.shape[0], x.shape[1] / (b * b), x.shape[2] * b, x.shape[3] * b}
            : std::vector<int64_t>{x.shape[0], x.shape[1] * b * b, x.shape[2] / b, x.shape[3] / b};
    return emit(node, at, std::move(layer), shape);
  }

  // The target of a Reshape, with 0 (copy) and -1 (infer) resolved.
  Result<std::vector<int64_t>> reshape_target(const onnx::NodeProto& node, const std::string& at,
                                              const std::vector<const Value*>& in,
                                              const std::vector<int64_t>& from) {
    const OnnxConstantPtr* target =
        in.size() == 2 && in[1] ? std::get_if<OnnxConstantPtr>(in[1]) : nullptr;
    if (!target || (*target)->is_float || (*target)->dims.size() != 1 || (*target)->size() > 8) {
      return unsupported(at + ": only a Reshape to a computable shape is supported");
    }
    const bool allow_zero = onnx_int_attribute(node, "allowzero", 0) != 0;
    std::vector<int64_t> to = (*target)->ints;
    int64_t known = 1, infer = -1, total = 1;
    for (int64_t d : from) {
      if (__builtin_mul_overflow(total, d, &total)) return invalid(at + " reshapes too much data");
    }
    for (size_t i = 0; i < to.size(); ++i) {
      if (to[i] == 0 && !allow_zero) {
        if (i >= from.size()) return invalid(at + " copies a dimension the input lacks");
        to[i] = from[i];
      }
      if (to[i] == -1) {
        if (infer >= 0) return invalid(at + " infers two dimensions");
        infer = static_cast<int64_t>(i);
        continue;
      }
      if (to[i] < 0 || to[i] > total || __builtin_mul_overflow(known, to[i], &known)) {
        return invalid(at + " has an impossible target shape");
      }
    }
    if (infer >= 0) {
      if (known == 0 || total % known != 0) return invalid(at + " cannot infer a dimension");
      to[infer] = total / known;
      known = total;
    }
    if (known != total) {
      return invalid(at + " reshapes " + shape_to_string(from) + " into " + shape_to_string(to) +
                     " (for a " + std::to_string(from.size() > 3 ? from[2] : 0) + " x " +
                     std::to_string(from.size() > 3 ? from[3] : 0) +
                     " input); the graph may be exported for a fixed size");
    }
    return to;
  }

  // Reshape, Transpose, Unsqueeze, Squeeze of image data: tracked until they
  // add up to nothing or to a pixel (un)shuffle.
  Status lower_rearrangement(const onnx::NodeProto& node, const std::string& at,
                             const std::vector<const Value*>& in,
                             const std::vector<OnnxConstantPtr>& c) {
    const DataValue* x = !in.empty() && in[0] ? std::get_if<DataValue>(in[0]) : nullptr;
    if (!x) return unsupported(at + ": only rearranging the image data is supported");
    Rearrangement r = x->pending ? *x->pending : Rearrangement(x->shape);
    const std::string& op = node.op_type();
    bool ok = false;
    if (op == "Reshape") {
      RESR_ASSIGN_OR_RETURN(std::vector<int64_t> to, reshape_target(node, at, in, x->shape));
      ok = r.reshape(to);
    } else if (op == "Transpose") {
      std::vector<int64_t> perm = onnx_ints_attribute(node, "perm");
      if (perm.empty()) {
        for (size_t i = x->shape.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
      }
      ok = r.transpose(perm);
    } else {
      std::vector<int64_t> axes = onnx_ints_attribute(node, "axes");
      if (!find_onnx_attribute(node, "axes") && c.size() > 1 && c[1]) {
        if (c[1]->is_float || c[1]->dims.size() > 1) return invalid(at + " has invalid axes");
        axes = c[1]->ints;
      }
      ok = op == "Squeeze" ? r.squeeze(axes) : !axes.empty() && r.unsqueeze(axes);
    }
    if (!ok) {
      return unsupported(at + " rearranges " + shape_to_string(x->shape) +
                         " in a way that is not part of a pixel (un)shuffle");
    }
    if (r.is_identity()) {
      DataValue same = *x;
      same.pending.reset();
      same.shape = r.shape();
      return define(node, same);
    }
    if (const auto shuffle = r.as_pixel_shuffle()) {
      Layer layer;
      layer.kind = shuffle->kind;
      layer.factor = shuffle->factor;
      layer.block_major = shuffle->block_major;
      layer.inputs = {x->layer};
      return emit(node, at, std::move(layer), r.shape());
    }
    DataValue rearranged = *x;
    rearranged.shape = r.shape();
    rearranged.pending = std::move(r);
    return define(node, rearranged);
  }

  const onnx::GraphProto& graph_;
  int64_t opset_;
  std::string what_;
  std::unordered_map<std::string, const onnx::TensorProto*> initializers_;
  std::unordered_map<std::string, Value> values_;
  LayerGraph layers_;
  size_t folded_values_ = 0;
};

}  // namespace

bool looks_like_onnx(std::span<const uint8_t> bytes) {
  // A serialised ModelProto starts with field 1 (ir_version, a small varint)
  // in every exporter seen, or field 2-8 (producer, graph, opset) as bytes.
  if (bytes.size() < 2) return false;
  if (bytes[0] == 0x08) return bytes[1] >= 1 && bytes[1] <= 0x20;
  return bytes[0] == 0x12 || bytes[0] == 0x1a || bytes[0] == 0x3a || bytes[0] == 0x42;
}

Result<LoadedWeights> load_onnx(std::span<const uint8_t> bytes, const std::string& origin) {
  const std::string what = "ONNX model '" + origin + "'";
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return error(ErrorCode::kUnsupported, what + " is larger than 2 GiB, protobuf's limit");
  }
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return error(ErrorCode::kInvalidModel,
                 what + " is not a valid ONNX file (its protobuf does not parse)");
  }
  if (!model.has_graph()) return error(ErrorCode::kInvalidModel, what + " has no graph");
  const int64_t opset = opset_of(model);
  if (opset < 7) {
    return error(ErrorCode::kUnsupported,
                 what + " uses ONNX opset " + std::to_string(opset) +
                     "; opset 7 or later (any PyTorch export) is supported");
  }
  return OnnxLowering(model.graph(), opset, origin).run();
}

}  // namespace resr
