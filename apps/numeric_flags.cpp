#include "numeric_flags.hpp"

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "resr/model.hpp"

namespace resr {

namespace {

std::string short_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

// A finite number, or nullopt ("nan", "1e400", "two").
std::optional<double> finite_number(const std::string& text) {
  try {
    size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && std::isfinite(value)) return value;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// `accept(value)` says whether a number is in range; `range` (for --help) and
// `words` (for the error) say which.
CLI::Validator number_in(const std::string& range, const std::string& words,
                         std::function<bool(double)> accept) {
  return CLI::Validator(
      [words, accept](std::string& text) -> std::string {
        const auto value = finite_number(text);
        if (value && accept(*value)) return "";
        return "'" + text + "' is out of range: must be " + words;
      },
      range);
}

}  // namespace

CLI::Validator above_zero_up_to(double max) {
  return number_in("(0, " + short_number(max) + "]", "above 0 and at most " + short_number(max),
                   [max](double v) { return v > 0 && v <= max; });
}

CLI::Validator above_zero() {
  return number_in("> 0", "above 0", [](double v) { return v > 0; });
}

CLI::Validator at_least(double min) {
  return number_in(">= " + short_number(min), "at least " + short_number(min),
                   [min](double v) { return v >= min; });
}

CLI::Validator thread_count_range() {
  const int max = max_thread_count();
  return number_in("[0 - " + std::to_string(max) + "]",
                   "from 0 (all cores) to " + std::to_string(max) +
                       " (4 x this machine's hardware threads, at most 1024)",
                   [max](double v) { return v >= 0 && v <= max && v == std::floor(v); });
}

}  // namespace resr
