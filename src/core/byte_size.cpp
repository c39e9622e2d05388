#include "core/byte_size.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace resr {

Result<int64_t> parse_byte_size(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  std::string unit;
  for (size_t i = used; i < text.size(); ++i)
    unit += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
  if (unit.ends_with("IB")) unit.erase(unit.size() - 2);
  if (unit.ends_with("B")) unit.pop_back();
  const std::string units = "KMGT";
  double factor = 1;
  if (unit.size() == 1 && units.find(unit[0]) != std::string::npos) {
    factor = std::pow(1024.0, static_cast<double>(units.find(unit[0]) + 1));
  } else if (!unit.empty()) {
    used = 0;
  }
  if (used == 0 || !(value > 0) || value * factor > 9.0e18) {
    return error(ErrorCode::kInvalidArgument,
                 "'" + text + "' is not a size; write e.g. 512M, 2G or 1.5GiB");
  }
  return static_cast<int64_t>(value * factor);
}

std::string format_byte_size(uint64_t bytes) {
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  if (bytes < kMiB) return std::to_string(bytes) + " bytes";
  if (bytes < kGiB) return std::to_string(bytes / kMiB) + " MiB";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / kGiB);
  return text;
}

}  // namespace resr
