#include "model/formats/onnx/onnx_export.hpp"

#include <onnx/onnx_pb.h>

#include <fstream>

#include "core/pending_file.hpp"

namespace resr {

namespace {

// Builds the ONNX graph node by node; values are named after node indices.
class OnnxWriter {
 public:
  explicit OnnxWriter(onnx::GraphProto* graph) : g_(graph) {}

  static std::string value(int node) { return node == 0 ? "input" : "v" + std::to_string(node); }

  std::string initializer(const std::string& name, const std::vector<int64_t>& dims,
                          const std::vector<float>& data) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(data.data(), data.size() * sizeof(float));
    return name;
  }

  onnx::NodeProto* node(const std::string& op, std::vector<std::string> inputs,
                        const std::string& output) {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(output + "_" + op);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(output);
    return n;
  }

  static void attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, float v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }

  void conv(const std::string& in, const std::string& out, const std::string& prefix,
            const std::vector<int64_t>& wdims, const std::vector<float>& w,
            const std::vector<float>& b, int group) {
    onnx::NodeProto* n = node("Conv",
                              {in, initializer(prefix + ".weight", wdims, w),
                               initializer(prefix + ".bias", {wdims[0]}, b)},
                              out);
    const int64_t k = wdims[2];
    attr(n, "kernel_shape", std::vector<int64_t>{k, wdims[3]});
    if (group == 1) {
      attr(n, "pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2});
    } else {  // the pixel-unshuffle conv: stride = kernel, no padding
      attr(n, "strides", std::vector<int64_t>{k, k});
      attr(n, "group", static_cast<int64_t>(group));
    }
  }

  void write_node(const Graph& graph, int i) {
    const Node& n = graph.nodes[i];
    const std::string out = i == graph.output() ? "output" : value(i);
    switch (n.kind) {
      case OpKind::kInput:
        break;
      case OpKind::kConv: {
        const ConvLayer& c = graph.convs[n.conv];
        std::string in = value(n.inputs[0]);
        if (n.inputs.size() > 1) {
          std::vector<std::string> parts;
          for (int p : n.inputs) parts.push_back(value(p));
          in = value(i) + "_concat";
          attr(node("Concat", parts, in), "axis", int64_t{1});
        }
        const bool act = c.activation != Activation::kNone;
        const std::string conv_out = act ? value(i) + "_conv" : out;
        conv(in, conv_out, c.name, {c.out_channels, c.in_channels, c.kernel, c.kernel}, c.weight,
             c.bias, 1);
        if (c.activation == Activation::kRelu) node("Relu", {conv_out}, out);
        if (c.activation == Activation::kLeakyRelu) {
          attr(node("LeakyRelu", {conv_out}, out), "alpha", c.negative_slope);
        }
        if (c.activation == Activation::kPRelu) {
          node("PRelu",
               {conv_out, initializer(c.name + ".prelu", {c.out_channels, 1, 1}, c.prelu_slopes)},
               out);
        }
        break;
      }
      case OpKind::kAdd: {
        std::string a = value(n.inputs[0]), b = value(n.inputs[1]);
        if (n.alpha != 1.0f) a = scaled(a, n.alpha, value(i) + "_a");
        if (n.beta != 1.0f) b = scaled(b, n.beta, value(i) + "_b");
        node("Add", {a, b}, out);
        break;
      }
      case OpKind::kUpsampleNearest: {
        const float f = static_cast<float>(n.factor);
        onnx::NodeProto* r = node(
            "Resize",
            {value(n.inputs[0]), "", initializer(value(i) + "_scales", {4}, {1, 1, f, f})}, out);
        attr(r, "mode", std::string("nearest"));
        attr(r, "coordinate_transformation_mode", std::string("asymmetric"));
        attr(r, "nearest_mode", std::string("floor"));
        break;
      }
      case OpKind::kPixelShuffle: {
        onnx::NodeProto* d = node("DepthToSpace", {value(n.inputs[0])}, out);
        attr(d, "blocksize", static_cast<int64_t>(n.factor));
        attr(d, "mode", std::string("CRD"));  // PyTorch's channel order
        break;
      }
      case OpKind::kPixelUnshuffle: {
        // A grouped one-hot conv with stride f is exactly PyTorch's
        // pixel_unshuffle and keeps H and W dynamic (Reshape would need them).
        const int c = graph.nodes[n.inputs[0]].channels, f = n.factor;
        std::vector<float> w(static_cast<size_t>(c) * f * f * f * f, 0.0f);
        for (int ch = 0; ch < c; ++ch)
          for (int k = 0; k < f * f; ++k) w[((ch * f * f + k) * f * f) + k] = 1.0f;
        conv(value(n.inputs[0]), out, value(i) + "_unshuffle", {c * f * f, 1, f, f}, w,
             std::vector<float>(static_cast<size_t>(c) * f * f, 0.0f), c);
        break;
      }
    }
  }

 private:
  std::string scaled(const std::string& in, float s, const std::string& out) {
    node("Mul", {in, initializer(out + "_scale", {}, {s})}, out);
    return out;
  }

  onnx::GraphProto* g_;
};

void set_image_type(onnx::ValueInfoProto* v, const std::string& name, int channels,
                    const OnnxExportOptions& options, int scale) {
  v->set_name(name);
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* s = t->mutable_shape();
  s->add_dim()->set_dim_value(1);
  s->add_dim()->set_dim_value(channels);
  if (options.static_hw) {
    s->add_dim()->set_dim_value(int64_t{options.static_hw->first} * scale);
    s->add_dim()->set_dim_value(int64_t{options.static_hw->second} * scale);
  } else {
    s->add_dim()->set_dim_param(scale == 1 ? "height" : "out_height");
    s->add_dim()->set_dim_param(scale == 1 ? "width" : "out_width");
  }
}

}  // namespace

Status export_onnx(const Graph& graph, const std::filesystem::path& out,
                   const OnnxExportOptions& options) {
  if (options.opset < 11 || options.opset > 18) {
    return error(ErrorCode::kInvalidArgument,
                 "--opset " + std::to_string(options.opset) +
                     " is not supported; use 11 to 18 (Resize and DepthToSpace CRD need 11)");
  }
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("real-esrgan-serve");
  model.set_producer_version(RESR_VERSION);
  model.add_opset_import()->set_version(options.opset);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("real_esrgan");
  set_image_type(g->add_input(), "input", 3, options, 1);
  set_image_type(g->add_output(), "output", 3, options, graph.scale);

  OnnxWriter writer(g);
  for (int i = 0; i < static_cast<int>(graph.nodes.size()); ++i) writer.write_node(graph, i);

  const auto cannot_write = [&out] {
    return error(ErrorCode::kIoError, "cannot write ONNX file '" + out.string() +
                                          "': check the directory exists and is writable");
  };
  auto file = PendingFile::create_for_path(out);
  if (!file.is_ok()) return cannot_write();
  {
    std::ofstream f((*file)->temp_path(), std::ios::binary | std::ios::trunc);
    if (!f || !model.SerializeToOstream(&f) || !f.flush()) return cannot_write();
  }
  return (*file)->commit();
}

}  // namespace resr
