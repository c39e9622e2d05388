// Opening an input image for upscaling: format policy, limits and normalisation.
//
// open_image reads only the header: a 50000 x 50000 PNG is refused in
// microseconds. The pixels are decoded later, strip by strip, while the upscaler
// pulls them (truncation found then is still an error, never grey fill).
//
// The pixels handed on are what the model needs and what the output restores:
//  - EXIF orientation applied (the image as viewers show it);
//  - colour (1 band grey or 3 bands RGB), then alpha when there is one;
//  - 8- or 16-bit samples (palette and 1/2/4-bit images are expanded to 8-bit);
//  - RGB and grey pixels pass unchanged, in their own colour space, and the
//    file's ICC profile is kept to be attached, byte for byte, to the output;
//  - CMYK is converted to sRGB through its embedded profile (libvips' CMYK
//    profile when there is none) and the output is tagged sRGB.
#pragma once

#include <vips/vips.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "image/image_limits.hpp"
#include "image/vips_handle.hpp"
#include "resr/status.hpp"

namespace resr {

struct ImageInfo {
  std::string source;  // the file, for messages
  std::string format;  // "png", "jpeg", "webp", "tiff", "gif", "heif"
  int width = 0;       // as displayed: orientation applied
  int height = 0;
  int orientation = 1;               // the EXIF orientation (1-8) that was applied
  int colour_channels = 3;           // 1: grey, 3: RGB
  bool has_alpha = false;            // one more band after the colour ones
  int bit_depth = 8;                 // 8 or 16
  bool from_cmyk = false;            // converted to sRGB
  std::vector<uint8_t> icc_profile;  // to attach to the output; empty: none
};

// An opened image: its description and a lazy libvips image of its normalised
// pixels, readable once, top to bottom.
class InputImage {
 public:
  InputImage(ImageInfo info, VipsImagePtr pixels)
      : info_(std::move(info)), pixels_(std::move(pixels)) {}
  const ImageInfo& info() const { return info_; }
  VipsImage* pixels() const { return pixels_.get(); }

 private:
  ImageInfo info_;
  VipsImagePtr pixels_;
};

// Errors: kNotFound (no such file), kInvalidImage (empty, truncated header,
// refused format, over limits.max_input_pixels), kUnsupported (a sample format
// or band layout the model cannot take, such as float or 5-band images).
Result<InputImage> open_image(const std::filesystem::path& path, const ImageLimits& limits = {});

// The formats open_image accepts, for messages and help text.
const char* accepted_input_formats();

}  // namespace resr
