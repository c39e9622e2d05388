// A request's JSON body, parsed only when its nesting is shallow: walking a
// value nested 100,000 levels deep (to parse, dump or destroy it) recurses
// once per level and overflows the connection thread's stack.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "resr/status.hpp"

namespace resr {

// Arrays and objects inside one another; this API's bodies are flat objects.
inline constexpr int kMaxJsonDepth = 32;

// The body as an object, or kInvalidArgument saying why not (too deep, not
// JSON, not an object).
Result<nlohmann::json> parse_json_object(std::string_view text);

}  // namespace resr
