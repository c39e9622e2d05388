#include "model/formats/pth/pickle_reader.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <unordered_map>

#include "core/little_endian.hpp"

namespace resr {

using Kind = PickleValue::Kind;

const PickleValue* PickleValue::find(std::string_view key) const {
  if (kind != Kind::kDict) return nullptr;
  for (const auto& [k, v] : entries) {
    if (k->kind == Kind::kString && k->text == key) return v;
  }
  return nullptr;
}

bool PickleValue::is_call_of(std::string_view name) const {
  return kind == Kind::kCall && items[0]->text == name;
}

namespace {

// Opcodes, named as in CPython's pickletools.
enum Opcode : uint8_t {
  kProto = 0x80,
  kFrame = 0x95,
  kStop = '.',
  kMark = '(',
  kEmptyDict = '}',
  kEmptyList = ']',
  kEmptyTuple = ')',
  kTuple = 't',
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kBinUnicode = 'X',
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinInt = 'J',
  kBinInt1 = 'K',
  kBinInt2 = 'M',
  kLong1 = 0x8a,
  kBinFloat = 'G',
  kNone = 'N',
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kGlobal = 'c',
  kStackGlobal = 0x93,
  kReduce = 'R',
  kBuild = 'b',
  kBinPersId = 'Q',
  kSetItem = 's',
  kSetItems = 'u',
  kAppend = 'a',
  kAppends = 'e',
  kBinGet = 'h',
  kLongBinGet = 'j',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kMemoize = 0x94,
};

constexpr uint8_t kHighestProtocol = 5;
constexpr std::string_view kOrderedDict = "collections.OrderedDict";

std::string hex_byte(uint8_t byte) {
  char text[8];
  std::snprintf(text, sizeof(text), "0x%02x", byte);
  return text;
}

}  // namespace

class PickleMachine {
 public:
  PickleMachine(std::span<const uint8_t> bytes, std::span<const std::string_view> allowed_globals)
      : bytes_(bytes), allowed_globals_(allowed_globals) {}

  Result<Unpickled> run() {
    if (bytes_.size() > kMaxPickleBytes) {
      return error(ErrorCode::kInvalidModel,
                   "the pickle is " + std::to_string(bytes_.size()) + " bytes, more than the " +
                       std::to_string(kMaxPickleBytes >> 20) + " MiB a state dict needs");
    }
    while (pos_ < bytes_.size()) {
      opcode_offset_ = pos_;
      const uint8_t opcode = bytes_[pos_++];
      if (opcode == kStop) {
        RESR_ASSIGN_OR_RETURN(PickleValue * root, pop());
        result_.root_ = root;
        return std::move(result_);
      }
      RESR_RETURN_IF_ERROR(step(opcode));
      if (result_.values_.size() + slots_ > kMaxPickleValues || stack_.size() > kMaxPickleValues ||
          marks_.size() > kMaxPickleValues || memo_.size() > kMaxPickleValues) {
        return fail("the pickle builds more than " + std::to_string(kMaxPickleValues) +
                    " values, far more than a state dict");
      }
    }
    return error(ErrorCode::kInvalidModel, "the pickle ends without a STOP opcode (truncated)");
  }

 private:
  Status fail(const std::string& problem) const {
    return error(ErrorCode::kInvalidModel,
                 "pickle byte " + std::to_string(opcode_offset_) + ": " + problem);
  }

  // The next `count` argument bytes of the current opcode.
  Result<const uint8_t*> take(uint64_t count) {
    if (count > bytes_.size() - pos_) return fail("the pickle ends inside an opcode (truncated)");
    const uint8_t* start = &bytes_[pos_];
    pos_ += count;
    return start;
  }

  template <typename T>
  Result<T> take_integer() {
    RESR_ASSIGN_OR_RETURN(const uint8_t* p, take(sizeof(T)));
    return load_little_endian<T>(p);
  }

  PickleValue* make(Kind kind) {
    PickleValue& value = result_.values_.emplace_back();
    value.kind = kind;
    return &value;
  }

  Status push_integer(int64_t integer) {
    PickleValue* value = make(Kind::kInt);
    value->integer = integer;
    stack_.push_back(value);
    return Status::ok();
  }

  Status push_string(uint64_t size) {
    RESR_ASSIGN_OR_RETURN(const uint8_t* p, take(size));
    PickleValue* value = make(Kind::kString);
    value->text.assign(reinterpret_cast<const char*>(p), size);
    stack_.push_back(value);
    return Status::ok();
  }

  // Values above the innermost MARK are out of reach of single pops, as in CPython.
  size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }

  Result<PickleValue*> pop() {
    if (stack_.size() <= fence()) return fail("an opcode needs a value but the stack is empty");
    PickleValue* value = stack_.back();
    stack_.pop_back();
    return value;
  }

  Result<PickleValue*> top() {
    if (stack_.size() <= fence()) return fail("an opcode needs a value but the stack is empty");
    return stack_.back();
  }

  Result<std::vector<PickleValue*>> pop_to_mark() {
    if (marks_.empty()) return fail("an opcode needs a MARK but there is none");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> values(stack_.begin() + static_cast<ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return values;
  }

  Status push_tuple(std::vector<PickleValue*> items) {
    PickleValue* tuple = make(Kind::kTuple);
    tuple->items.assign(items.begin(), items.end());
    slots_ += items.size();
    stack_.push_back(tuple);
    return Status::ok();
  }

  Status push_tuple_of(size_t count) {
    std::vector<PickleValue*> items(count);
    for (size_t i = count; i-- > 0;) {
      RESR_ASSIGN_OR_RETURN(items[i], pop());
    }
    return push_tuple(std::move(items));
  }

  Status push_global(std::string module, std::string name) {
    std::string global = module + "." + name;
    if (std::find(allowed_globals_.begin(), allowed_globals_.end(), global) ==
        allowed_globals_.end()) {
      return fail("disallowed global '" + global +
                  "': a state dict references only PyTorch tensor types, so the file is not a "
                  "plain checkpoint (nothing was executed)");
    }
    PickleValue* value = make(Kind::kGlobal);
    value->text = std::move(global);
    stack_.push_back(value);
    return Status::ok();
  }

  Result<std::string> take_line() {
    const auto begin = bytes_.begin() + static_cast<ptrdiff_t>(pos_);
    const auto newline = std::find(begin, bytes_.end(), '\n');
    if (newline == bytes_.end()) return fail("the pickle ends inside a GLOBAL (truncated)");
    pos_ += static_cast<size_t>(newline - begin) + 1;
    return std::string(begin, newline);
  }

  Status set_items(PickleValue* dict, const std::vector<PickleValue*>& items) {
    if (dict->kind != Kind::kDict) return fail("SETITEM(S) on something that is not a dict");
    if (items.size() % 2 != 0) return fail("SETITEMS with a key but no value");
    for (size_t i = 0; i < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
    slots_ += items.size();
    return Status::ok();
  }

  Status append(PickleValue* list, const std::vector<PickleValue*>& items) {
    if (list->kind != Kind::kList) return fail("APPEND(S) on something that is not a list");
    list->items.insert(list->items.end(), items.begin(), items.end());
    slots_ += items.size();
    return Status::ok();
  }

  Status memo_get(uint64_t index) {
    const auto found = memo_.find(index);
    if (found == memo_.end()) {
      return fail("memo slot " + std::to_string(index) + " is read before it is written");
    }
    stack_.push_back(found->second);
    return Status::ok();
  }

  Status memo_put(uint64_t index) {
    RESR_ASSIGN_OR_RETURN(PickleValue * value, top());
    memo_[index] = value;
    return Status::ok();
  }

  Status reduce() {
    RESR_ASSIGN_OR_RETURN(PickleValue * arguments, pop());
    RESR_ASSIGN_OR_RETURN(PickleValue * callable, pop());
    if (callable->kind != Kind::kGlobal || arguments->kind != Kind::kTuple) {
      return fail("REDUCE needs a global and an argument tuple");
    }
    if (callable->text == kOrderedDict) {
      if (!arguments->items.empty()) return fail("OrderedDict built from arguments");
      stack_.push_back(make(Kind::kDict));
      return Status::ok();
    }
    PickleValue* call = make(Kind::kCall);
    call->items = {callable, arguments};
    stack_.push_back(call);
    return Status::ok();
  }

  Status step(uint8_t opcode) {
    switch (opcode) {
      case kProto: {
        RESR_ASSIGN_OR_RETURN(const uint8_t version, take_integer<uint8_t>());
        if (version > kHighestProtocol) {
          return fail("pickle protocol " + std::to_string(version) + " is newer than 5");
        }
        return Status::ok();
      }
      case kFrame: {  // a read-ahead hint; the bytes that follow are ordinary opcodes
        RESR_ASSIGN_OR_RETURN(const uint64_t frame_size, take_integer<uint64_t>());
        (void)frame_size;
        return Status::ok();
      }
      case kMark:
        marks_.push_back(stack_.size());
        return Status::ok();
      case kEmptyDict:
        stack_.push_back(make(Kind::kDict));
        return Status::ok();
      case kEmptyList:
        stack_.push_back(make(Kind::kList));
        return Status::ok();
      case kEmptyTuple:
        return push_tuple({});
      case kTuple: {
        RESR_ASSIGN_OR_RETURN(std::vector<PickleValue*> items, pop_to_mark());
        return push_tuple(std::move(items));
      }
      case kTuple1:
        return push_tuple_of(1);
      case kTuple2:
        return push_tuple_of(2);
      case kTuple3:
        return push_tuple_of(3);
      case kBinUnicode: {
        RESR_ASSIGN_OR_RETURN(const uint32_t size, take_integer<uint32_t>());
        return push_string(size);
      }
      case kShortBinUnicode: {
        RESR_ASSIGN_OR_RETURN(const uint8_t size, take_integer<uint8_t>());
        return push_string(size);
      }
      case kBinUnicode8: {
        RESR_ASSIGN_OR_RETURN(const uint64_t size, take_integer<uint64_t>());
        return push_string(size);
      }
      case kBinInt: {
        RESR_ASSIGN_OR_RETURN(const int32_t value, take_integer<int32_t>());
        return push_integer(value);
      }
      case kBinInt1: {
        RESR_ASSIGN_OR_RETURN(const uint8_t value, take_integer<uint8_t>());
        return push_integer(value);
      }
      case kBinInt2: {
        RESR_ASSIGN_OR_RETURN(const uint16_t value, take_integer<uint16_t>());
        return push_integer(value);
      }
      case kLong1: {
        RESR_ASSIGN_OR_RETURN(const uint8_t size, take_integer<uint8_t>());
        if (size > 8) return fail("an integer wider than 64 bits");
        RESR_ASSIGN_OR_RETURN(const uint8_t* p, take(size));
        uint64_t bits = 0;
        for (size_t i = 0; i < size; ++i) bits |= uint64_t{p[i]} << (8 * i);
        // Two's complement of `size` bytes: sign-extend from its top bit.
        if (size > 0 && size < 8 && (p[size - 1] & 0x80)) bits |= ~uint64_t{0} << (8 * size);
        return push_integer(static_cast<int64_t>(bits));
      }
      case kBinFloat: {
        RESR_ASSIGN_OR_RETURN(const uint64_t big_endian, take_integer<uint64_t>());
        PickleValue* value = make(Kind::kFloat);
        value->real = std::bit_cast<double>(__builtin_bswap64(big_endian));
        stack_.push_back(value);
        return Status::ok();
      }
      case kNone:
        stack_.push_back(make(Kind::kNone));
        return Status::ok();
      case kNewTrue:
      case kNewFalse: {
        PickleValue* value = make(Kind::kBool);
        value->integer = opcode == kNewTrue;
        stack_.push_back(value);
        return Status::ok();
      }
      case kGlobal: {
        RESR_ASSIGN_OR_RETURN(std::string module, take_line());
        RESR_ASSIGN_OR_RETURN(std::string name, take_line());
        return push_global(std::move(module), std::move(name));
      }
      case kStackGlobal: {
        RESR_ASSIGN_OR_RETURN(PickleValue * name, pop());
        RESR_ASSIGN_OR_RETURN(PickleValue * module, pop());
        if (module->kind != Kind::kString || name->kind != Kind::kString) {
          return fail("STACK_GLOBAL needs a module and a name string");
        }
        return push_global(module->text, name->text);
      }
      case kReduce:
        return reduce();
      case kBuild:
        // The state holds attributes such as a state dict's _metadata: no weights.
        if (stack_.size() < fence() + 2) return fail("BUILD needs an object and its state");
        stack_.pop_back();
        return Status::ok();
      case kBinPersId: {
        RESR_ASSIGN_OR_RETURN(PickleValue * id, pop());
        PickleValue* reference = make(Kind::kPersistentId);
        reference->items = {id};
        stack_.push_back(reference);
        return Status::ok();
      }
      case kSetItem: {
        RESR_ASSIGN_OR_RETURN(PickleValue * value, pop());
        RESR_ASSIGN_OR_RETURN(PickleValue * key, pop());
        RESR_ASSIGN_OR_RETURN(PickleValue * dict, top());
        return set_items(dict, {key, value});
      }
      case kSetItems: {
        RESR_ASSIGN_OR_RETURN(std::vector<PickleValue*> items, pop_to_mark());
        RESR_ASSIGN_OR_RETURN(PickleValue * dict, top());
        return set_items(dict, items);
      }
      case kAppend: {
        RESR_ASSIGN_OR_RETURN(PickleValue * value, pop());
        RESR_ASSIGN_OR_RETURN(PickleValue * list, top());
        return append(list, {value});
      }
      case kAppends: {
        RESR_ASSIGN_OR_RETURN(std::vector<PickleValue*> items, pop_to_mark());
        RESR_ASSIGN_OR_RETURN(PickleValue * list, top());
        return append(list, items);
      }
      case kBinGet: {
        RESR_ASSIGN_OR_RETURN(const uint8_t index, take_integer<uint8_t>());
        return memo_get(index);
      }
      case kLongBinGet: {
        RESR_ASSIGN_OR_RETURN(const uint32_t index, take_integer<uint32_t>());
        return memo_get(index);
      }
      case kBinPut: {
        RESR_ASSIGN_OR_RETURN(const uint8_t index, take_integer<uint8_t>());
        return memo_put(index);
      }
      case kLongBinPut: {
        RESR_ASSIGN_OR_RETURN(const uint32_t index, take_integer<uint32_t>());
        return memo_put(index);
      }
      case kMemoize:
        return memo_put(memo_.size());
      default:
        return fail("unknown pickle opcode " + hex_byte(opcode) +
                    " (not one torch.save writes for a state dict)");
    }
  }

  std::span<const uint8_t> bytes_;
  std::span<const std::string_view> allowed_globals_;
  size_t pos_ = 0;
  size_t opcode_offset_ = 0;
  Unpickled result_;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
  size_t slots_ = 0;  // container and tuple elements, counted against the value limit
};

Result<Unpickled> read_pickle(std::span<const uint8_t> bytes,
                              std::span<const std::string_view> allowed_globals) {
  return PickleMachine(bytes, allowed_globals).run();
}

}  // namespace resr
