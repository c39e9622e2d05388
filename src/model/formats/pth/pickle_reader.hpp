// A restricted pickle reader: it builds the values a pickle describes without
// executing anything. Globals are only named (never imported or called), and a
// global outside the caller's allow-list stops the read, so a hostile file can
// at worst be refused. It knows the opcodes torch.save's data.pkl uses
// (protocols 2 to 5), nothing more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resr/status.hpp"

namespace resr {

struct PickleValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kTuple,
    kList,
    kDict,
    kGlobal,        // text: "module.name"
    kCall,          // items: {the global, its argument tuple}; never evaluated
    kPersistentId,  // items: {the id}; the file format gives it a meaning
  };

  Kind kind = Kind::kNone;
  int64_t integer = 0;                    // kBool (0 or 1), kInt
  double real = 0.0;                      // kFloat
  std::string text;                       // kString, kGlobal
  std::vector<const PickleValue*> items;  // kTuple, kList, kCall, kPersistentId
  // kDict, in insertion order (as an OrderedDict keeps it).
  std::vector<std::pair<const PickleValue*, const PickleValue*>> entries;

  // The value under the string key `key` of a kDict, or nullptr.
  const PickleValue* find(std::string_view key) const;
  // Whether this is a kCall of the global `name` ("module.name").
  bool is_call_of(std::string_view name) const;
};

// Everything one pickle built. Containers point at each other freely (a pickle
// may share and even cycle references), so all values live and die together.
class Unpickled {
 public:
  Unpickled() = default;
  // Moving a deque keeps its elements in place, so the pointers stay valid.
  Unpickled(Unpickled&&) = default;
  Unpickled& operator=(Unpickled&&) = default;
  Unpickled(const Unpickled&) = delete;
  Unpickled& operator=(const Unpickled&) = delete;

  const PickleValue& root() const { return *root_; }

 private:
  friend class PickleMachine;
  std::deque<PickleValue> values_;
  const PickleValue* root_ = nullptr;
};

// Far above the few hundred KiB of any real state dict's pickle; with the
// value limit it bounds the memory a hostile pickle can make us spend.
inline constexpr size_t kMaxPickleBytes = size_t{16} << 20;
inline constexpr size_t kMaxPickleValues = size_t{1} << 20;

// Runs the pickle in `bytes`. Only globals named in `allowed_globals`
// ("module.name") are accepted. REDUCE of collections.OrderedDict with no
// arguments makes an empty kDict (SETITEMS fills it next); REDUCE of any other
// global makes a kCall for the caller to interpret. BUILD state is dropped:
// it only carries attributes such as a state dict's `_metadata`. Errors name
// the byte offset within the pickle.
Result<Unpickled> read_pickle(std::span<const uint8_t> bytes,
                              std::span<const std::string_view> allowed_globals);

}  // namespace resr
