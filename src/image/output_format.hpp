// The formats an upscaled image can be written in, and what each can hold.
#pragma once

#include <optional>
#include <string_view>

#include "image/image_loader.hpp"

namespace resr {

enum class OutputFormat { kPng, kJpeg, kWebp, kTiff };

// From a name or file extension, any case, with or without the dot: "png",
// ".JPG", "jpeg", "webp", "tif", "tiff". nullopt when it is none of them.
std::optional<OutputFormat> output_format_from_name(std::string_view name);

const char* output_format_extension(OutputFormat format);  // ".png", ".jpg", ...
bool output_format_keeps_alpha(OutputFormat format);
bool output_format_keeps_16_bit(OutputFormat format);

// What to write when the user names no format: the input's own, except that
// anything with alpha, and GIF/HEIF (no encoder here), become PNG.
OutputFormat default_output_format(const ImageInfo& info);

}  // namespace resr
