// torch.save (since 1.6) writes a zip archive: <name>/data.pkl pickles the
// object, each tensor storage is a raw little-endian file <name>/data/<key>,
// and the pickle refers to storages through persistent ids
// ('storage', torch.FloatStorage, key, location, element count).
#include "model/formats/pth/pth_format.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "model/formats/pth/pickle_reader.hpp"
#include "model/formats/pth/zip_archive.hpp"
#include "model/formats/stored_float.hpp"

namespace resr {

namespace {

using Kind = PickleValue::Kind;

constexpr std::array<uint8_t, 4> kZipMagic = {'P', 'K', 3, 4};
// Before 1.6, torch.save wrote bare pickles: protocol 2, then its magic
// number 0x1950a86a20f9469cfc6c as a 10-byte LONG1.
constexpr std::array<uint8_t, 14> kLegacyMagic = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
                                                  0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

constexpr std::string_view kOrderedDict = "collections.OrderedDict";
constexpr std::string_view kRebuildTensor = "torch._utils._rebuild_tensor_v2";
constexpr std::string_view kRebuildParameter = "torch._utils._rebuild_parameter";
constexpr std::string_view kRebuildParameterWithState =
    "torch._utils._rebuild_parameter_with_state";

struct StorageType {
  std::string_view global;
  // Unset for integer and bool storages (e.g. BatchNorm's num_batches_tracked):
  // they hold no weights, so their tensors are skipped.
  std::optional<StoredFloat> element;
};

constexpr std::array<StorageType, 10> kStorageTypes = {{
    {"torch.FloatStorage", StoredFloat::kFloat32},
    {"torch.HalfStorage", StoredFloat::kFloat16},
    {"torch.BFloat16Storage", StoredFloat::kBFloat16},
    {"torch.DoubleStorage", StoredFloat::kFloat64},
    {"torch.LongStorage", std::nullopt},
    {"torch.IntStorage", std::nullopt},
    {"torch.ShortStorage", std::nullopt},
    {"torch.CharStorage", std::nullopt},
    {"torch.ByteStorage", std::nullopt},
    {"torch.BoolStorage", std::nullopt},
}};

// Views may overlap (tied weights, broadcasts), but all tensors together may
// expand to at most this many floats per stored byte (plus a little slack),
// which bounds memory whatever the pickle claims.
constexpr uint64_t kOutputElementsPerStorageByte = 2;
constexpr uint64_t kOutputElementsSlack = uint64_t{1} << 20;
constexpr size_t kMaxDimensions = 16;

std::vector<std::string_view> allowed_globals() {
  std::vector<std::string_view> globals = {kOrderedDict, kRebuildTensor, kRebuildParameter,
                                           kRebuildParameterWithState};
  for (const StorageType& type : kStorageTypes) globals.push_back(type.global);
  return globals;
}

Status invalid(std::string message) { return error(ErrorCode::kInvalidModel, std::move(message)); }

bool starts_with(std::span<const uint8_t> bytes, std::span<const uint8_t> prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

bool is_int(const PickleValue* value) { return value->kind == Kind::kInt; }

Result<std::vector<uint64_t>> non_negative_ints(const PickleValue* tuple, const std::string& what) {
  if (tuple->kind != Kind::kTuple) return invalid(what + " is not a tuple");
  if (tuple->items.size() > kMaxDimensions) {
    return invalid(what + " has " + std::to_string(tuple->items.size()) +
                   " dimensions, more than " + std::to_string(kMaxDimensions));
  }
  std::vector<uint64_t> values;
  for (const PickleValue* item : tuple->items) {
    if (!is_int(item) || item->integer < 0)
      return invalid(what + " holds a negative or non-integer");
    values.push_back(static_cast<uint64_t>(item->integer));
  }
  return values;
}

// Copies a strided view into a contiguous row-major buffer. Dimensions laid
// out contiguously with their inner neighbour merge first (a contiguous tensor
// becomes a single row); then each innermost row is widened while the outer
// indices advance like an odometer.
void copy_view(StoredFloat type, const uint8_t* storage, uint64_t offset,
               const std::vector<uint64_t>& sizes, const std::vector<uint64_t>& strides,
               uint64_t count, float* out) {
  std::vector<uint64_t> merged_sizes = {1};  // innermost first
  std::vector<uint64_t> merged_strides = {1};
  for (size_t d = sizes.size(); d-- > 0;) {
    if (sizes[d] == 1) continue;  // its stride never matters
    if (merged_sizes.back() == 1) {
      merged_sizes.back() = sizes[d];
      merged_strides.back() = strides[d];
    } else if (strides[d] == merged_strides.back() * merged_sizes.back()) {
      merged_sizes.back() *= sizes[d];
    } else {
      merged_sizes.push_back(sizes[d]);
      merged_strides.push_back(strides[d]);
    }
  }
  const size_t element_size = stored_float_size(type);
  const uint64_t row_size = merged_sizes[0];
  std::vector<uint64_t> index(merged_sizes.size(), 0);
  uint64_t row_offset = offset;
  for (uint64_t row = 0; row < count / row_size; ++row) {
    widen_to_float(type, storage + row_offset * element_size, row_size, merged_strides[0],
                   out + row * row_size);
    for (size_t d = 1; d < merged_sizes.size(); ++d) {
      row_offset += merged_strides[d];
      if (++index[d] < merged_sizes[d]) break;
      row_offset -= merged_strides[d] * merged_sizes[d];
      index[d] = 0;
    }
  }
}

// One checkpoint being read: its archive and the storages read so far.
class CheckpointReader {
 public:
  explicit CheckpointReader(ZipArchive archive) : archive_(std::move(archive)) {}

  Result<LoadedWeights> read() {
    RESR_RETURN_IF_ERROR(find_data_pickle());
    RESR_RETURN_IF_ERROR(check_byte_order());
    const ZipEntry& pickle_entry = *archive_.find(prefix_ + "data.pkl");
    if (pickle_entry.uncompressed_size > kMaxPickleBytes) {
      return invalid("data.pkl is " + std::to_string(pickle_entry.uncompressed_size) +
                     " bytes, more than the " + std::to_string(kMaxPickleBytes >> 20) +
                     " MiB any state dict needs");
    }
    RESR_ASSIGN_OR_RETURN(ZipEntryBytes pickle_bytes, archive_.read(pickle_entry));
    const std::vector<std::string_view> globals = allowed_globals();
    Result<Unpickled> unpickled = read_pickle(pickle_bytes.bytes(), globals);
    if (!unpickled.is_ok()) return unpickled.status().with_context("data.pkl");

    const PickleValue* state_dict = &unpickled->root();
    for (std::string_view wrapper : {"params_ema", "params"}) {
      const PickleValue* inner = state_dict->find(wrapper);
      if (inner && inner->kind == Kind::kDict) {
        state_dict = inner;
        break;
      }
    }
    if (state_dict->kind != Kind::kDict) {
      return invalid("data.pkl holds no dict of tensors (a state dict)");
    }

    std::map<std::string, Tensor> tensors;
    std::string keys;  // for the error below: where the weights might be instead
    for (const auto& [key, value] : state_dict->entries) {
      if (key->kind != Kind::kString) continue;
      keys += (keys.empty() ? "'" : ", '") + key->text + "'";
      RESR_ASSIGN_OR_RETURN(std::optional<Tensor> tensor, read_tensor(key->text, *value));
      if (tensor) tensors.insert_or_assign(key->text, std::move(*tensor));
    }
    if (tensors.empty()) {
      return invalid("the state dict holds no floating-point tensors (its keys: " +
                     (keys.empty() ? "none" : keys) +
                     "); expected a dict of weights, or one under 'params_ema' or 'params'");
    }
    LoadedWeights weights;
    weights.tensors = normalize_state_dict_keys(std::move(tensors));
    weights.format = "pth";
    return weights;
  }

 private:
  // torch names the archive's top folder after the file it first saved to.
  Status find_data_pickle() {
    constexpr std::string_view kPickleName = "data.pkl";
    for (const ZipEntry& entry : archive_.entries()) {
      const std::string_view name = entry.name;
      if (name.ends_with(kPickleName) && (name.size() == kPickleName.size() ||
                                          name[name.size() - kPickleName.size() - 1] == '/')) {
        prefix_ = std::string(name.substr(0, name.size() - kPickleName.size()));
        return Status::ok();
      }
    }
    return invalid(
        "the zip archive has no data.pkl, so it is not a PyTorch checkpoint (torch.save writes "
        "<name>/data.pkl)");
  }

  Status check_byte_order() {
    const ZipEntry* entry = archive_.find(prefix_ + "byteorder");
    if (!entry) return Status::ok();  // written only since torch 2.1; older files are little-endian
    RESR_ASSIGN_OR_RETURN(ZipEntryBytes order, archive_.read(*entry));
    const std::string_view text(reinterpret_cast<const char*>(order.bytes().data()),
                                order.bytes().size());
    if (text != "little") {
      return invalid("the checkpoint was saved on a '" + std::string(text) +
                     "'-endian machine; only little-endian checkpoints are supported");
    }
    return Status::ok();
  }

  // The first `size` bytes of the storage `key`, read once however many views share it.
  Result<std::span<const uint8_t>> storage(const std::string& key, uint64_t size,
                                           const std::string& what) {
    auto found = storages_.find(key);
    if (found == storages_.end()) {
      const ZipEntry* entry = archive_.find(prefix_ + "data/" + key);
      if (!entry) return invalid(what + " refers to storage '" + key + "', which is missing");
      RESR_ASSIGN_OR_RETURN(ZipEntryBytes bytes, archive_.read(*entry));
      stored_bytes_ += bytes.bytes().size();
      found = storages_.emplace(key, std::move(bytes)).first;
    }
    const std::span<const uint8_t> bytes = found->second.bytes();
    if (bytes.size() < size) {
      return invalid(what + ": storage '" + key + "' holds " + std::to_string(bytes.size()) +
                     " bytes but the checkpoint says " + std::to_string(size) +
                     " (truncated or damaged)");
    }
    return bytes.first(size);
  }

  // The tensor `value` describes, nullopt for anything else (numbers,
  // strings, integer tensors): only float tensors are weights.
  Result<std::optional<Tensor>> read_tensor(const std::string& name, const PickleValue& value) {
    const std::string what = "tensor '" + name + "'";
    const PickleValue* rebuild = &value;
    if (rebuild->is_call_of(kRebuildParameter) || rebuild->is_call_of(kRebuildParameterWithState)) {
      const auto& arguments = rebuild->items[1]->items;
      if (arguments.empty()) return invalid(what + " is a parameter without data");
      rebuild = arguments[0];
    }
    if (!rebuild->is_call_of(kRebuildTensor)) return std::optional<Tensor>();

    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks, ...)
    const auto& arguments = rebuild->items[1]->items;
    if (arguments.size() < 4 || arguments[0]->kind != Kind::kPersistentId ||
        !is_int(arguments[1]) || arguments[1]->integer < 0) {
      return invalid(what + " is not built from a storage and an offset");
    }
    const PickleValue* id = arguments[0]->items[0];
    if (id->kind != Kind::kTuple || id->items.size() != 5 || id->items[1]->kind != Kind::kGlobal ||
        id->items[2]->kind != Kind::kString || !is_int(id->items[4]) || id->items[4]->integer < 0) {
      return invalid(what + " refers to its storage in an unknown way");
    }
    const auto type =
        std::find_if(kStorageTypes.begin(), kStorageTypes.end(),
                     [&](const StorageType& t) { return t.global == id->items[1]->text; });
    if (type == kStorageTypes.end()) {
      return invalid(what + " has storage type '" + id->items[1]->text +
                     "', which is not a storage");
    }
    if (!type->element) return std::optional<Tensor>();
    const StoredFloat element = *type->element;
    const uint64_t storage_elements = static_cast<uint64_t>(id->items[4]->integer);
    const uint64_t offset = static_cast<uint64_t>(arguments[1]->integer);
    RESR_ASSIGN_OR_RETURN(std::vector<uint64_t> sizes,
                          non_negative_ints(arguments[2], what + " size"));
    RESR_ASSIGN_OR_RETURN(std::vector<uint64_t> strides,
                          non_negative_ints(arguments[3], what + " stride"));
    if (sizes.size() != strides.size()) {
      return invalid(what + " has " + std::to_string(sizes.size()) + " sizes but " +
                     std::to_string(strides.size()) + " strides");
    }

    // The view's element count and its last element's index in the storage.
    uint64_t count = 1;
    uint64_t last = offset;
    bool overflow = false;
    for (size_t d = 0; d < sizes.size(); ++d) {
      uint64_t reach = 0;
      overflow |= __builtin_mul_overflow(count, sizes[d], &count);
      if (sizes[d] > 0) {
        overflow |= __builtin_mul_overflow(sizes[d] - 1, strides[d], &reach);
        overflow |= __builtin_add_overflow(last, reach, &last);
      }
    }
    const std::string shape = shape_to_string(std::vector<int64_t>(sizes.begin(), sizes.end()));
    if (overflow || (count > 0 && last >= storage_elements)) {
      return invalid(what + " (shape " + shape + ", offset " + std::to_string(offset) +
                     ") reaches past the end of its storage of " +
                     std::to_string(storage_elements) + " elements: storage out of range");
    }
    const uint64_t element_size = stored_float_size(element);
    if (storage_elements > UINT64_MAX / element_size) {
      return invalid(what + " claims a storage larger than any file");
    }
    RESR_ASSIGN_OR_RETURN(
        std::span<const uint8_t> bytes,
        storage(std::string(id->items[2]->text), storage_elements * element_size, what));
    if (count >
        kOutputElementsPerStorageByte * stored_bytes_ + kOutputElementsSlack - output_elements_) {
      return invalid(what + " (shape " + shape +
                     ") takes the checkpoint's tensors past twice as many floats as it stores "
                     "bytes: overlapping or broadcast views like these are not supported; save "
                     "contiguous tensors");
    }
    output_elements_ += count;

    Tensor tensor;
    tensor.shape.assign(sizes.begin(), sizes.end());
    tensor.data.resize(count);
    if (count > 0)
      copy_view(element, bytes.data(), offset, sizes, strides, count, tensor.data.data());
    return std::optional<Tensor>(std::move(tensor));
  }

  ZipArchive archive_;
  std::string prefix_;
  std::map<std::string, ZipEntryBytes> storages_;
  uint64_t stored_bytes_ = 0;
  uint64_t output_elements_ = 0;
};

Result<LoadedWeights> read_checkpoint(std::span<const uint8_t> bytes) {
  if (starts_with(bytes, kLegacyMagic)) {
    return invalid(
        "legacy PyTorch serialization is not supported: re-save with torch>=1.6 "
        "(torch.save(..., _use_new_zipfile_serialization=True))");
  }
  if (!starts_with(bytes, kZipMagic)) {
    return invalid("not a PyTorch checkpoint: torch.save writes a zip archive starting with 'PK'");
  }
  RESR_ASSIGN_OR_RETURN(ZipArchive archive, ZipArchive::open(bytes));
  return CheckpointReader(std::move(archive)).read();
}

}  // namespace

// Legacy files count too, so that load_pth can say how to convert them.
bool looks_like_pth(std::span<const uint8_t> bytes) {
  return starts_with(bytes, kZipMagic) || starts_with(bytes, kLegacyMagic);
}

Result<LoadedWeights> load_pth(std::span<const uint8_t> bytes, const std::string& origin) {
  Result<LoadedWeights> weights = read_checkpoint(bytes);
  if (!weights.is_ok()) return weights.status().with_context("PyTorch checkpoint '" + origin + "'");
  return weights;
}

}  // namespace resr
