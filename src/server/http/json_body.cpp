#include "server/http/json_body.hpp"

namespace resr {

namespace {

// The deepest nesting of arrays and objects, counted without parsing; stops
// counting past `limit`. Brackets inside strings are text, not nesting.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size() && deepest <= limit; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, a quote included
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<nlohmann::json> parse_json_object(std::string_view text) {
  if (nesting_depth(text, kMaxJsonDepth) > kMaxJsonDepth) {
    return error(ErrorCode::kInvalidArgument,
                 "the JSON body nests deeper than " + std::to_string(kMaxJsonDepth) +
                     " levels of arrays and objects; send a flat object of parameters");
  }
  nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) {
    return error(ErrorCode::kInvalidArgument,
                 "the body is not valid JSON; send an object such as {\"url\": \"https://...\"}");
  }
  if (!body.is_object()) {
    return error(ErrorCode::kInvalidArgument, "the JSON body is not an object");
  }
  return body;
}

}  // namespace resr
