// Constant values of an ONNX graph: weights (initializers, Constant nodes) and
// the small integer tensors exporters compute shapes with at run time
// (Shape -> Gather -> Mul -> Concat -> Reshape), folded here at load time.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "resr/status.hpp"

namespace resr {

struct OnnxConstant {
  std::vector<int64_t> dims;
  bool is_float = true;
  std::vector<float> floats;  // is_float
  std::vector<int64_t> ints;  // !is_float

  size_t size() const { return is_float ? floats.size() : ints.size(); }
  double at(size_t i) const { return is_float ? floats[i] : static_cast<double>(ints[i]); }
};

using OnnxConstantPtr = std::shared_ptr<const OnnxConstant>;

// Decodes float, float16, bfloat16, double, int32 and int64 tensors from
// raw_data or the typed fields, checking that the data holds what the dims
// say. `what` names the tensor in messages.
Result<OnnxConstantPtr> decode_onnx_tensor(const onnx::TensorProto& tensor,
                                           const std::string& what);

// The value of a Constant node (value, value_float(s) or value_int(s)).
Result<OnnxConstantPtr> onnx_constant_node_value(const onnx::NodeProto& node,
                                                 const std::string& what);

// Whether evaluate_onnx_constant_op() knows `op_type`.
bool is_onnx_constant_op(const std::string& op_type);

// Evaluates one node whose inputs are all constants (absent optional inputs
// are null). `what` names the node in messages.
Result<OnnxConstantPtr> evaluate_onnx_constant_op(const onnx::NodeProto& node,
                                                  const std::vector<OnnxConstantPtr>& inputs,
                                                  int64_t opset, const std::string& what);

// Attribute lookups shared by the constant folding and the graph lowering.
const onnx::AttributeProto* find_onnx_attribute(const onnx::NodeProto& node,
                                                const std::string& name);
int64_t onnx_int_attribute(const onnx::NodeProto& node, const std::string& name, int64_t fallback);
std::vector<int64_t> onnx_ints_attribute(const onnx::NodeProto& node, const std::string& name);

}  // namespace resr
