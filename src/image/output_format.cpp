#include "image/output_format.hpp"

#include <cctype>
#include <string>

namespace resr {

std::optional<OutputFormat> output_format_from_name(std::string_view name) {
  if (!name.empty() && name.front() == '.') name.remove_prefix(1);
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "png") return OutputFormat::kPng;
  if (lower == "jpg" || lower == "jpeg" || lower == "jpe") return OutputFormat::kJpeg;
  if (lower == "webp") return OutputFormat::kWebp;
  if (lower == "tif" || lower == "tiff") return OutputFormat::kTiff;
  return std::nullopt;
}

const char* output_format_extension(OutputFormat format) {
  switch (format) {
    case OutputFormat::kPng:
      return ".png";
    case OutputFormat::kJpeg:
      return ".jpg";
    case OutputFormat::kWebp:
      return ".webp";
    case OutputFormat::kTiff:
      return ".tif";
  }
  return ".png";
}

bool output_format_keeps_alpha(OutputFormat format) { return format != OutputFormat::kJpeg; }

bool output_format_keeps_16_bit(OutputFormat format) {
  return format == OutputFormat::kPng || format == OutputFormat::kTiff;
}

OutputFormat default_output_format(const ImageInfo& info) {
  if (info.has_alpha) return OutputFormat::kPng;
  return output_format_from_name(info.format).value_or(OutputFormat::kPng);
}

}  // namespace resr
