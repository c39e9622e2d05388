#include "server/tasks/task_parameters.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "resr/upscale.hpp"

namespace resr {

namespace {

Status bad_field(const std::string& name, const std::string& value, const std::string& expected) {
  return error(ErrorCode::kInvalidArgument,
               "parameter '" + name + "' is '" + value + "': expected " + expected);
}

template <typename T>
bool parse_number(const std::string& text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

Result<bool> parse_bool(const std::string& name, const std::string& text) {
  if (text == "true" || text == "1" || text == "True") return true;
  if (text == "false" || text == "0" || text == "False") return false;
  return bad_field(name, text, "true or false");
}

// "1920x1080" -> {1920, 1080}; "1/2" -> {1, 2} with fraction = true.
struct ResizeTarget {
  int a = 0, b = 0;
  bool fraction = false;
};

std::optional<ResizeTarget> parse_resize_to(const std::string& text) {
  for (char sep : {'x', '/'}) {
    const size_t at = text.find(sep);
    if (at == std::string::npos) continue;
    ResizeTarget t;
    t.fraction = sep == '/';
    if (!parse_number(text.substr(0, at), t.a) || !parse_number(text.substr(at + 1), t.b)) {
      return std::nullopt;
    }
    if (t.a < 1 || t.b < 1 || t.a > 100000 || t.b > 100000) return std::nullopt;
    return t;
  }
  return std::nullopt;
}

}  // namespace

Result<TaskParameters> parse_task_parameters(const RequestFields& fields, int max_timeout_seconds) {
  TaskParameters p;
  for (const auto& [name, value] : fields) {
    if (name == "scale") {
      if (!parse_number(value, p.scale) || !(p.scale >= 1 && p.scale <= 8)) {
        return bad_field(name, value, "a number from 1 to 8");
      }
    } else if (name == "tile_size") {
      if (!parse_number(value, p.tile_size) ||
          (p.tile_size != 0 && (p.tile_size < 32 || p.tile_size > 4096))) {
        return bad_field(name, value, "0 (automatic) or 32 to 4096");
      }
    } else if (name == "skip_alpha" || name == "use_realesrgan" || name == "fallback") {
      RESR_ASSIGN_OR_RETURN(bool flag, parse_bool(name, value));
      (name == "skip_alpha" ? p.skip_alpha
       : name == "fallback" ? p.fallback
                            : p.use_realesrgan) = flag;
    } else if (name == "resize_to") {
      if (!parse_resize_to(value)) {
        return bad_field(name, value, "WIDTHxHEIGHT (e.g. 1920x1080) or a fraction (e.g. 1/2)");
      }
      p.resize_to = value;
    } else if (name == "format") {
      if (!output_format_from_name(value)) return bad_field(name, value, "png, jpg, webp or tif");
      p.format = value;
    } else if (name == "timeout") {
      if (!parse_number(value, p.timeout_seconds) || p.timeout_seconds < 1 ||
          p.timeout_seconds > max_timeout_seconds) {
        return bad_field(name, value, "seconds from 1 to " + std::to_string(max_timeout_seconds));
      }
    }
    // Other fields (the file, url, model) are the route's business.
  }
  return p;
}

Result<double> final_scale(const TaskParameters& params, int model_scale, int width, int height) {
  double scale = params.scale > 0 ? params.scale : model_scale;
  if (params.resize_to.empty()) return scale;
  const std::optional<ResizeTarget> t = parse_resize_to(params.resize_to);
  if (!t) return bad_field("resize_to", params.resize_to, "WIDTHxHEIGHT or N/D");
  if (t->fraction) return scale * t->a / t->b;
  return std::min(static_cast<double>(t->a) / width, static_cast<double>(t->b) / height);
}

}  // namespace resr
