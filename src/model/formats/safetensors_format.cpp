// Layout: an 8-byte little-endian header length N, N bytes of JSON mapping
// each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (plus
// an optional "__metadata__" of strings), then the data section the offsets
// count from.
#include "model/formats/safetensors_format.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/little_endian.hpp"
#include "model/formats/stored_float.hpp"

namespace resr {

namespace {

using nlohmann::json;

constexpr uint64_t kLengthSize = 8;
// Real headers take ~100 bytes per tensor; this bounds the JSON we parse.
constexpr uint64_t kMaxHeaderBytes = uint64_t{16} << 20;
// {name: {"shape": [...]}} nests three deep; deeper input cannot be valid and
// is refused before nlohmann builds it.
constexpr int kMaxHeaderDepth = 3;

struct Dtype {
  std::string_view name;
  uint64_t size;
  // Unset for integer and bool tensors: they hold no weights and are skipped.
  std::optional<StoredFloat> element;
};

constexpr std::array<Dtype, 13> kDtypes = {{
    {"F32", 4, StoredFloat::kFloat32},
    {"F16", 2, StoredFloat::kFloat16},
    {"BF16", 2, StoredFloat::kBFloat16},
    {"F64", 8, StoredFloat::kFloat64},
    {"I64", 8, std::nullopt},
    {"I32", 4, std::nullopt},
    {"I16", 2, std::nullopt},
    {"I8", 1, std::nullopt},
    {"U64", 8, std::nullopt},
    {"U32", 4, std::nullopt},
    {"U16", 2, std::nullopt},
    {"U8", 1, std::nullopt},
    {"BOOL", 1, std::nullopt},
}};

struct TensorEntry {
  std::string name;
  const Dtype* dtype;
  std::vector<int64_t> shape;
  uint64_t count;
  uint64_t begin;
  uint64_t end;
};

Status invalid(std::string message) { return error(ErrorCode::kInvalidModel, std::move(message)); }

Status check_nesting(std::string_view header) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : header) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxHeaderDepth) {
        return invalid("the header nests deeper than a safetensors header can");
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return Status::ok();
}

Result<TensorEntry> parse_entry(const std::string& name, const json& info, uint64_t data_size) {
  const std::string what = "tensor '" + name + "'";
  if (!info.is_object()) return invalid(what + ": its header entry is not an object");
  const auto dtype_field = info.find("dtype");
  const auto shape_field = info.find("shape");
  const auto offsets_field = info.find("data_offsets");
  if (dtype_field == info.end() || !dtype_field->is_string() || shape_field == info.end() ||
      !shape_field->is_array() || offsets_field == info.end() || !offsets_field->is_array() ||
      offsets_field->size() != 2 || !(*offsets_field)[0].is_number_unsigned() ||
      !(*offsets_field)[1].is_number_unsigned()) {
    return invalid(what +
                   ": its header entry needs \"dtype\" (string), \"shape\" (array) and "
                   "\"data_offsets\" ([begin, end])");
  }
  const std::string& dtype_name = dtype_field->get_ref<const std::string&>();
  const auto dtype = std::find_if(kDtypes.begin(), kDtypes.end(),
                                  [&](const Dtype& d) { return d.name == dtype_name; });
  if (dtype == kDtypes.end()) {
    return invalid(what + " has unknown dtype '" + dtype_name +
                   "' (F32, F16, BF16 and F64 hold weights)");
  }

  TensorEntry entry{name,
                    &*dtype,
                    {},
                    1,
                    (*offsets_field)[0].get<uint64_t>(),
                    (*offsets_field)[1].get<uint64_t>()};
  bool overflow = false;
  for (const json& dimension : *shape_field) {
    if (!dimension.is_number_unsigned() || dimension.get<uint64_t>() > INT64_MAX) {
      return invalid(what + " has a shape that is not a list of non-negative integers");
    }
    const uint64_t size = dimension.get<uint64_t>();
    overflow |= __builtin_mul_overflow(entry.count, size, &entry.count);
    entry.shape.push_back(static_cast<int64_t>(size));
  }
  if (entry.begin > entry.end || entry.end > data_size) {
    return invalid(what + " has data_offsets [" + std::to_string(entry.begin) + ", " +
                   std::to_string(entry.end) + "] outside the data section of " +
                   std::to_string(data_size) + " bytes: offsets out of range (truncated file?)");
  }
  uint64_t bytes = 0;
  overflow |= __builtin_mul_overflow(entry.count, dtype->size, &bytes);
  if (overflow || bytes != entry.end - entry.begin) {
    return invalid(what + " of shape " + shape_to_string(entry.shape) + " and dtype " + dtype_name +
                   " spans " + std::to_string(entry.end - entry.begin) +
                   " bytes in data_offsets, not the size its shape needs");
  }
  return entry;
}

Result<LoadedWeights> read_safetensors(std::span<const uint8_t> bytes) {
  if (bytes.size() < kLengthSize) {
    return invalid("the file is " + std::to_string(bytes.size()) +
                   " bytes, too short for the 8-byte header length (truncated)");
  }
  const uint64_t header_size = load_little_endian<uint64_t>(bytes.data());
  const uint64_t available = bytes.size() - kLengthSize;
  if (header_size > available) {
    return invalid("header length " + std::to_string(header_size) + " is larger than the file (" +
                   std::to_string(available) +
                   " bytes follow it): the file is truncated or not safetensors");
  }
  if (header_size > kMaxHeaderBytes) {
    return invalid("header length " + std::to_string(header_size) + " exceeds the " +
                   std::to_string(kMaxHeaderBytes >> 20) + " MiB limit");
  }
  const std::string_view header(reinterpret_cast<const char*>(bytes.data() + kLengthSize),
                                header_size);
  RESR_RETURN_IF_ERROR(check_nesting(header));
  const json parsed = json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return invalid("the header is not a JSON object");
  }

  const std::span<const uint8_t> data = bytes.subspan(kLengthSize + header_size);
  std::vector<TensorEntry> entries;
  for (const auto& [name, info] : parsed.items()) {
    if (name == "__metadata__") continue;
    RESR_ASSIGN_OR_RETURN(TensorEntry entry, parse_entry(name, info, data.size()));
    entries.push_back(std::move(entry));
  }
  // Disjoint tensors bound the floats we make by the bytes the file has.
  std::sort(entries.begin(), entries.end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].begin < entries[i - 1].end) {
      return invalid("tensors '" + entries[i - 1].name + "' and '" + entries[i].name +
                     "' overlap in the data section");
    }
  }

  std::map<std::string, Tensor> tensors;
  for (const TensorEntry& entry : entries) {
    if (!entry.dtype->element) continue;
    Tensor tensor(entry.shape, std::vector<float>(entry.count));
    widen_to_float(*entry.dtype->element, data.data() + entry.begin, entry.count, 1,
                   tensor.data.data());
    tensors.emplace(entry.name, std::move(tensor));
  }
  if (tensors.empty()) return invalid("the file holds no floating-point tensors");
  LoadedWeights weights;
  weights.tensors = normalize_state_dict_keys(std::move(tensors));
  weights.format = "safetensors";
  return weights;
}

}  // namespace

// Lenient on purpose: a truncated file still reaches load_safetensors, which
// says what is wrong with it.
bool looks_like_safetensors(std::span<const uint8_t> bytes) {
  return bytes.size() > kLengthSize && bytes[kLengthSize] == '{';
}

Result<LoadedWeights> load_safetensors(std::span<const uint8_t> bytes, const std::string& origin) {
  Result<LoadedWeights> weights = read_safetensors(bytes);
  if (!weights.is_ok()) return weights.status().with_context("safetensors file '" + origin + "'");
  return weights;
}

}  // namespace resr
