#include "model/formats/onnx/onnx_constants.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>

#include "core/little_endian.hpp"
#include "core/tensor.hpp"
#include "model/formats/stored_float.hpp"

namespace resr {

namespace {

// 1 GiB of float32: far above any Real-ESRGAN tensor, below what would hurt.
constexpr uint64_t kMaxElements = uint64_t{1} << 28;
constexpr size_t kMaxRank = 16;

Status invalid(const std::string& what, const std::string& message) {
  return error(ErrorCode::kInvalidModel, what + ": " + message);
}

// The data a tensor holds (raw_data bytes, or `held` typed values) is not what its dims say.
Status count_mismatch(const onnx::TensorProto& t, uint64_t count, size_t element_bytes, size_t held,
                      const std::string& what) {
  const std::string dims = shape_to_string({t.dims().begin(), t.dims().end()});
  if (t.has_raw_data()) {
    return invalid(what, "dims " + dims + " need " + std::to_string(count * element_bytes) +
                             " bytes of raw data, but it holds " +
                             std::to_string(t.raw_data().size()));
  }
  return invalid(what, "dims " + dims + " need " + std::to_string(count) +
                           " values, but it holds " + std::to_string(held));
}

// Both allocate `count` values only once the data is known to hold them: dims
// alone may claim up to kMaxElements.
Status decode_floats(const onnx::TensorProto& t, uint64_t count, StoredFloat type,
                     std::vector<float>& out, const std::string& what) {
  const size_t size = stored_float_size(type);
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (raw.size() != count * size) return count_mismatch(t, count, size, 0, what);
    out.resize(count);
    widen_to_float(type, reinterpret_cast<const uint8_t*>(raw.data()), count, 1, out.data());
    return Status::ok();
  }
  switch (type) {
    case StoredFloat::kFloat32:
      if (static_cast<uint64_t>(t.float_data_size()) != count) {
        return count_mismatch(t, count, size, t.float_data_size(), what);
      }
      out.resize(count);
      std::copy(t.float_data().begin(), t.float_data().end(), out.begin());
      return Status::ok();
    case StoredFloat::kFloat64:
      if (static_cast<uint64_t>(t.double_data_size()) != count) {
        return count_mismatch(t, count, size, t.double_data_size(), what);
      }
      out.resize(count);
      std::copy(t.double_data().begin(), t.double_data().end(), out.begin());
      return Status::ok();
    case StoredFloat::kFloat16:
    case StoredFloat::kBFloat16: {
      // 16-bit values travel in int32_data, one per element.
      if (static_cast<uint64_t>(t.int32_data_size()) != count) {
        return count_mismatch(t, count, size, t.int32_data_size(), what);
      }
      std::vector<uint16_t> bits(t.int32_data().begin(), t.int32_data().end());
      out.resize(count);
      widen_to_float(type, reinterpret_cast<const uint8_t*>(bits.data()), count, 1, out.data());
      return Status::ok();
    }
  }
  return Status::ok();
}

template <typename T, typename Typed>
Status decode_ints(const onnx::TensorProto& t, uint64_t count, const Typed& typed,
                   std::vector<int64_t>& out, const std::string& what) {
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (raw.size() != count * sizeof(T)) return count_mismatch(t, count, sizeof(T), 0, what);
    out.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
      out[i] = load_little_endian<T>(reinterpret_cast<const uint8_t*>(raw.data()) + i * sizeof(T));
    }
    return Status::ok();
  }
  if (static_cast<uint64_t>(typed.size()) != count) {
    return count_mismatch(t, count, sizeof(T), typed.size(), what);
  }
  out.resize(count);
  std::copy(typed.begin(), typed.end(), out.begin());
  return Status::ok();
}

bool is_float_type(int64_t type) {
  return type == onnx::TensorProto::FLOAT || type == onnx::TensorProto::FLOAT16 ||
         type == onnx::TensorProto::DOUBLE || type == onnx::TensorProto::BFLOAT16;
}

std::shared_ptr<OnnxConstant> make_ints(std::vector<int64_t> dims, std::vector<int64_t> values) {
  auto c = std::make_shared<OnnxConstant>();
  c->dims = std::move(dims);
  c->is_float = false;
  c->ints = std::move(values);
  return c;
}

std::shared_ptr<OnnxConstant> make_floats(std::vector<int64_t> dims, std::vector<float> values) {
  auto c = std::make_shared<OnnxConstant>();
  c->dims = std::move(dims);
  c->floats = std::move(values);
  return c;
}

// Integer values of a 1-D (or scalar) constant: axes, indices, starts...
Result<std::vector<int64_t>> int_list(const OnnxConstantPtr& c, const std::string& what) {
  if (!c || c->is_float || c->dims.size() > 1) {
    return invalid(what, "expected a 1-D integer tensor");
  }
  return c->ints;
}

Result<int64_t> normalise_axis(int64_t axis, size_t rank, const std::string& what) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) {
    return invalid(what, "axis " + std::to_string(axis) + " is outside rank " + std::to_string(r));
  }
  return axis < 0 ? axis + r : axis;
}

Result<OnnxConstantPtr> unsqueeze(const OnnxConstant& in, std::vector<int64_t> axes,
                                  const std::string& what) {
  const size_t rank = in.dims.size() + axes.size();
  if (rank > kMaxRank) return invalid(what, "rank above " + std::to_string(kMaxRank));
  std::vector<bool> inserted(rank, false);
  for (int64_t a : axes) {
    RESR_ASSIGN_OR_RETURN(int64_t axis, normalise_axis(a, rank, what));
    if (inserted[axis]) return invalid(what, "repeats axis " + std::to_string(a));
    inserted[axis] = true;
  }
  auto out = std::make_shared<OnnxConstant>(in);
  out->dims.clear();
  size_t next = 0;
  for (size_t i = 0; i < rank; ++i) out->dims.push_back(inserted[i] ? 1 : in.dims[next++]);
  return OnnxConstantPtr(out);
}

Result<OnnxConstantPtr> squeeze(const OnnxConstant& in, const std::vector<int64_t>& axes,
                                const std::string& what) {
  std::vector<bool> drop(in.dims.size(), axes.empty());
  for (int64_t a : axes) {
    RESR_ASSIGN_OR_RETURN(int64_t axis, normalise_axis(a, in.dims.size(), what));
    if (in.dims[axis] != 1) return invalid(what, "squeezes an axis whose size is not 1");
    drop[axis] = true;
  }
  auto out = std::make_shared<OnnxConstant>(in);
  out->dims.clear();
  for (size_t i = 0; i < in.dims.size(); ++i) {
    if (!drop[i] || in.dims[i] != 1) out->dims.push_back(in.dims[i]);
  }
  return OnnxConstantPtr(out);
}

Result<OnnxConstantPtr> gather(const OnnxConstant& data, const OnnxConstant& indices, int64_t axis,
                               const std::string& what) {
  if (data.dims.size() != 1 || (axis != 0 && axis != -1) || indices.is_float) {
    return error(ErrorCode::kUnsupported,
                 what + ": only gathering from a 1-D tensor (a shape) is supported");
  }
  const int64_t n = data.dims[0];
  auto out = std::make_shared<OnnxConstant>();
  out->dims = indices.dims;
  out->is_float = data.is_float;
  for (int64_t i : indices.ints) {
    if (i < -n || i >= n) return invalid(what, "index " + std::to_string(i) + " is out of range");
    const size_t at = static_cast<size_t>(i < 0 ? i + n : i);
    if (data.is_float) {
      out->floats.push_back(data.floats[at]);
    } else {
      out->ints.push_back(data.ints[at]);
    }
  }
  return OnnxConstantPtr(out);
}

Result<OnnxConstantPtr> concat(const std::vector<OnnxConstantPtr>& parts, int64_t axis,
                               const std::string& what) {
  if (axis != 0 && axis != -1) {
    return error(ErrorCode::kUnsupported, what + ": only 1-D constants can be concatenated");
  }
  const bool is_float = std::any_of(parts.begin(), parts.end(),
                                    [](const OnnxConstantPtr& p) { return p && p->is_float; });
  auto out = std::make_shared<OnnxConstant>();
  out->is_float = is_float;
  for (const OnnxConstantPtr& p : parts) {
    if (!p || p->dims.size() != 1) {
      return error(ErrorCode::kUnsupported, what + ": only 1-D constants can be concatenated");
    }
    for (size_t i = 0; i < p->size(); ++i) {
      if (is_float) {
        out->floats.push_back(static_cast<float>(p->at(i)));
      } else {
        out->ints.push_back(p->ints[i]);
      }
    }
  }
  out->dims = {static_cast<int64_t>(out->size())};
  return OnnxConstantPtr(out);
}

Result<OnnxConstantPtr> slice(const OnnxConstant& data, const std::vector<int64_t>& starts,
                              const std::vector<int64_t>& ends, const std::vector<int64_t>& axes,
                              const std::vector<int64_t>& steps, const std::string& what) {
  if (data.dims.size() != 1 || starts.size() != 1 || ends.size() != 1 ||
      (!axes.empty() && (axes.size() != 1 || (axes[0] != 0 && axes[0] != -1))) ||
      (!steps.empty() && steps.size() != 1)) {
    return error(ErrorCode::kUnsupported, what + ": only slicing a 1-D constant is supported");
  }
  const int64_t n = data.dims[0];
  const int64_t step = steps.empty() ? 1 : std::max(steps[0], -INT64_MAX);
  if (step == 0) return invalid(what, "step 0");
  // ONNX semantics: negative indices count from the end, then clamp.
  auto from_end = [n](int64_t v) { return v < 0 ? v + n : v; };
  int64_t first = 0, count = 0;
  if (n > 0 && step > 0) {
    first = std::clamp(from_end(starts[0]), int64_t{0}, n);
    const int64_t end = std::clamp(from_end(ends[0]), int64_t{0}, n);
    count = first < end ? 1 + (end - first - 1) / step : 0;
  } else if (n > 0) {
    first = std::clamp(from_end(starts[0]), int64_t{0}, n - 1);
    const int64_t end = std::clamp(from_end(ends[0]), int64_t{-1}, n - 1);
    count = first > end ? 1 + (first - end - 1) / -step : 0;
  }
  auto out = std::make_shared<OnnxConstant>();
  out->is_float = data.is_float;
  for (int64_t i = 0; i < count; ++i) {
    const size_t at = static_cast<size_t>(first + i * step);
    if (data.is_float) {
      out->floats.push_back(data.floats[at]);
    } else {
      out->ints.push_back(data.ints[at]);
    }
  }
  out->dims = {static_cast<int64_t>(out->size())};
  return OnnxConstantPtr(out);
}

Result<OnnxConstantPtr> arithmetic(const std::string& op, const OnnxConstant& a,
                                   const OnnxConstant& b, const std::string& what) {
  const bool a_scalar = a.size() == 1, b_scalar = b.size() == 1;
  if (!a_scalar && !b_scalar && a.dims != b.dims) {
    return error(ErrorCode::kUnsupported,
                 what + ": only same-shape or scalar operands are supported");
  }
  const size_t n = a_scalar ? b.size() : a.size();
  auto out = std::make_shared<OnnxConstant>();
  if (a_scalar != b_scalar) {
    out->dims = a_scalar ? b.dims : a.dims;
  } else {
    out->dims = a.dims.size() >= b.dims.size() ? a.dims : b.dims;
  }
  out->is_float = a.is_float || b.is_float;
  for (size_t i = 0; i < n; ++i) {
    const size_t ia = a_scalar ? 0 : i, ib = b_scalar ? 0 : i;
    if (out->is_float) {
      const double x = a.at(ia), y = b.at(ib);
      const double r = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
      out->floats.push_back(static_cast<float>(r));
      continue;
    }
    const int64_t x = a.ints[ia], y = b.ints[ib];
    int64_t r = 0;
    bool overflow = false;
    if (op == "Add") {
      overflow = __builtin_add_overflow(x, y, &r);
    } else if (op == "Sub") {
      overflow = __builtin_sub_overflow(x, y, &r);
    } else if (op == "Mul") {
      overflow = __builtin_mul_overflow(x, y, &r);
    } else {
      if (y == 0) return invalid(what, "integer division by zero");
      overflow = x == INT64_MIN && y == -1;
      if (!overflow) r = x / y;
    }
    if (overflow) return invalid(what, "integer overflow");
    out->ints.push_back(r);
  }
  return OnnxConstantPtr(out);
}

Result<OnnxConstantPtr> cast(const OnnxConstantPtr& in, int64_t to, const std::string& what) {
  if (is_float_type(to)) {
    if (in->is_float) return in;
    std::vector<float> f(in->ints.begin(), in->ints.end());
    return OnnxConstantPtr(make_floats(in->dims, std::move(f)));
  }
  if (to != onnx::TensorProto::INT64 && to != onnx::TensorProto::INT32) {
    return error(ErrorCode::kUnsupported, what + ": cast to element type " + std::to_string(to));
  }
  if (!in->is_float) return in;
  std::vector<int64_t> v;
  for (float f : in->floats) {
    if (!std::isfinite(f) || std::fabs(f) > 9.2e18f) return invalid(what, "value out of range");
    v.push_back(static_cast<int64_t>(f));
  }
  return OnnxConstantPtr(make_ints(in->dims, std::move(v)));
}

// An optional list given as an attribute (old opsets) or an input (new ones).
Result<std::vector<int64_t>> list_argument(const onnx::NodeProto& node,
                                           const std::vector<OnnxConstantPtr>& inputs, size_t input,
                                           const std::string& attribute, const std::string& what) {
  if (find_onnx_attribute(node, attribute)) return onnx_ints_attribute(node, attribute);
  if (inputs.size() > input && inputs[input]) return int_list(inputs[input], what);
  return std::vector<int64_t>{};
}

}  // namespace

const onnx::AttributeProto* find_onnx_attribute(const onnx::NodeProto& node,
                                                const std::string& name) {
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t onnx_int_attribute(const onnx::NodeProto& node, const std::string& name, int64_t fallback) {
  const onnx::AttributeProto* a = find_onnx_attribute(node, name);
  return a ? a->i() : fallback;
}

std::vector<int64_t> onnx_ints_attribute(const onnx::NodeProto& node, const std::string& name) {
  const onnx::AttributeProto* a = find_onnx_attribute(node, name);
  if (!a) return {};
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

Result<OnnxConstantPtr> decode_onnx_tensor(const onnx::TensorProto& t, const std::string& what) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    return error(ErrorCode::kUnsupported,
                 what +
                     " keeps its data in an external file; export the model with all "
                     "weights inside the .onnx file");
  }
  if (t.has_segment()) return error(ErrorCode::kUnsupported, what + " is a segmented tensor");
  uint64_t count = 1;
  std::vector<int64_t> dims;
  for (int64_t d : t.dims()) {
    if (d < 0 || static_cast<uint64_t>(d) > kMaxElements ||
        (d > 0 && count > kMaxElements / static_cast<uint64_t>(d))) {
      return invalid(what, "dims " + shape_to_string({t.dims().begin(), t.dims().end()}) +
                               " are negative or larger than " + std::to_string(kMaxElements) +
                               " values");
    }
    count *= static_cast<uint64_t>(d);
    dims.push_back(d);
  }
  auto c = std::make_shared<OnnxConstant>();
  c->dims = std::move(dims);
  Status s;
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      s = decode_floats(t, count, StoredFloat::kFloat32, c->floats, what);
      break;
    case onnx::TensorProto::FLOAT16:
      s = decode_floats(t, count, StoredFloat::kFloat16, c->floats, what);
      break;
    case onnx::TensorProto::BFLOAT16:
      s = decode_floats(t, count, StoredFloat::kBFloat16, c->floats, what);
      break;
    case onnx::TensorProto::DOUBLE:
      s = decode_floats(t, count, StoredFloat::kFloat64, c->floats, what);
      break;
    case onnx::TensorProto::INT64:
      c->is_float = false;
      s = decode_ints<int64_t>(t, count, t.int64_data(), c->ints, what);
      break;
    case onnx::TensorProto::INT32:
      c->is_float = false;
      s = decode_ints<int32_t>(t, count, t.int32_data(), c->ints, what);
      break;
    default:
      return error(ErrorCode::kUnsupported,
                   what + " has element type " + std::to_string(t.data_type()) +
                       "; only float, float16, bfloat16, double, int32 and int64 are supported");
  }
  RESR_RETURN_IF_ERROR(s);
  return OnnxConstantPtr(c);
}

Result<OnnxConstantPtr> onnx_constant_node_value(const onnx::NodeProto& node,
                                                 const std::string& what) {
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.name() == "value") return decode_onnx_tensor(a.t(), what);
    if (a.name() == "value_float") return OnnxConstantPtr(make_floats({}, {a.f()}));
    if (a.name() == "value_floats") {
      return OnnxConstantPtr(
          make_floats({a.floats_size()}, {a.floats().begin(), a.floats().end()}));
    }
    if (a.name() == "value_int") return OnnxConstantPtr(make_ints({}, {a.i()}));
    if (a.name() == "value_ints") {
      return OnnxConstantPtr(make_ints({a.ints_size()}, {a.ints().begin(), a.ints().end()}));
    }
  }
  return error(ErrorCode::kUnsupported,
               what +
                   ": only numeric Constant values (value, value_float(s), value_int(s)) are "
                   "supported");
}

bool is_onnx_constant_op(const std::string& op) {
  static const std::set<std::string> ops = {"Identity", "Cast",  "Gather", "Unsqueeze", "Squeeze",
                                            "Concat",   "Slice", "Add",    "Sub",       "Mul",
                                            "Div",      "Floor", "Ceil"};
  return ops.count(op) > 0;
}

Result<OnnxConstantPtr> evaluate_onnx_constant_op(const onnx::NodeProto& node,
                                                  const std::vector<OnnxConstantPtr>& inputs,
                                                  int64_t opset, const std::string& what) {
  const std::string& op = node.op_type();
  size_t required = 1;
  if (op == "Gather" || op == "Add" || op == "Sub" || op == "Mul" || op == "Div") required = 2;
  if (op == "Slice" && opset >= 10) required = 3;
  if (op == "Concat") required = std::max<size_t>(inputs.size(), 1);
  if (inputs.size() < required) {
    return invalid(what, "needs " + std::to_string(required) + " inputs");
  }
  for (size_t i = 0; i < required; ++i) {
    if (!inputs[i]) return invalid(what, "input " + std::to_string(i) + " is missing");
  }
  const OnnxConstantPtr& x = inputs[0];
  if (op == "Identity") return x;
  if (op == "Cast") return cast(x, onnx_int_attribute(node, "to", 0), what);
  if (op == "Gather") return gather(*x, *inputs[1], onnx_int_attribute(node, "axis", 0), what);
  if (op == "Unsqueeze" || op == "Squeeze") {
    RESR_ASSIGN_OR_RETURN(std::vector<int64_t> axes, list_argument(node, inputs, 1, "axes", what));
    if (op == "Squeeze") return squeeze(*x, axes, what);
    if (axes.empty()) return invalid(what, "Unsqueeze needs axes");
    return unsqueeze(*x, axes, what);
  }
  if (op == "Concat") return concat(inputs, onnx_int_attribute(node, "axis", 0), what);
  if (op == "Slice") {
    RESR_ASSIGN_OR_RETURN(std::vector<int64_t> starts,
                          list_argument(node, inputs, 1, "starts", what));
    RESR_ASSIGN_OR_RETURN(std::vector<int64_t> ends, list_argument(node, inputs, 2, "ends", what));
    RESR_ASSIGN_OR_RETURN(std::vector<int64_t> axes, list_argument(node, inputs, 3, "axes", what));
    RESR_ASSIGN_OR_RETURN(std::vector<int64_t> steps,
                          list_argument(node, inputs, 4, "steps", what));
    return slice(*x, starts, ends, axes, steps, what);
  }
  if (op == "Floor" || op == "Ceil") {
    if (!x->is_float) return x;
    std::vector<float> v = x->floats;
    for (float& f : v) f = op == "Floor" ? std::floor(f) : std::ceil(f);
    return OnnxConstantPtr(make_floats(x->dims, std::move(v)));
  }
  return arithmetic(op, *x, *inputs[1], what);
}

}  // namespace resr
