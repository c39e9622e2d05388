#include "image/image_loader.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <string_view>

#include "image/vips_runtime.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

// The libvips source loaders this project accepts (vips_foreign_find_load_source
// returns class names), and the format names they stand for.
struct AcceptedLoader {
  const char* loader;
  const char* format;
};
constexpr AcceptedLoader kAccepted[] = {
    {"VipsForeignLoadPngSource", "png"},   {"VipsForeignLoadJpegSource", "jpeg"},
    {"VipsForeignLoadWebpSource", "webp"}, {"VipsForeignLoadTiffSource", "tiff"},
    {"VipsForeignLoadNsgifSource", "gif"}, {"VipsForeignLoadHeifSource", "heif"},
};

// Names what a refused file really is, from its first bytes, so the message can
// say "a PDF document" rather than "unknown format" when a .png is not one.
std::string sniff_refused(const fs::path& path) {
  std::array<char, 512> head{};
  std::ifstream in(path, std::ios::binary);
  in.read(head.data(), head.size());
  const std::string_view bytes(head.data(), static_cast<size_t>(in.gcount()));
  auto starts = [&](std::string_view magic) { return bytes.substr(0, magic.size()) == magic; };
  if (starts("%PDF")) return "a PDF document";
  if (starts("%!PS")) return "a PostScript document";
  if (starts("8BPS")) return "a Photoshop (PSD) file";
  if (starts("BM")) return "a BMP image";
  if (starts("\x76\x2f\x31\x01")) return "an OpenEXR image";
  if (bytes.find("<svg") != std::string_view::npos) return "an SVG document";
  if (starts("<?xml") || starts("<")) return "an XML/HTML document";
  return "in no format this build reads";
}

std::string pixels_text(int64_t pixels) {
  return std::to_string(pixels) + " pixels (" + std::to_string(pixels / 1'000'000) + " MP)";
}

Result<VipsImagePtr> load_header(const fs::path& path, VipsAccess access) {
  VipsPtr<VipsSource> source(vips_source_new_from_file(path.c_str()));
  if (!source) {
    return error(ErrorCode::kIoError, "cannot read " + path.string() + ": " + take_vips_error());
  }
  VipsImagePtr image(vips_image_new_from_source(source.get(), "", "access", access, "fail_on",
                                                VIPS_FAIL_ON_ERROR, nullptr));
  if (!image) {
    return error(ErrorCode::kInvalidImage,
                 path.string() + ": broken image header: " + take_vips_error());
  }
  return image;
}

// CMYK (with or without alpha) to sRGB through the embedded or a default profile.
Result<VipsImagePtr> cmyk_to_srgb(VipsImage* in, int bit_depth, const std::string& where) {
  VipsImage* out = nullptr;
  if (vips_icc_transform(in, &out, "srgb", "embedded", TRUE, "input_profile", "cmyk", "depth",
                         bit_depth, nullptr) != 0) {
    return error(ErrorCode::kInvalidImage,
                 where + ": cannot convert CMYK to sRGB: " + take_vips_error());
  }
  return VipsImagePtr(out);
}

}  // namespace

const char* accepted_input_formats() {
  return "PNG, JPEG, WebP, TIFF, GIF (first frame), HEIF/AVIF";
}

Result<InputImage> open_image(const fs::path& path, const ImageLimits& limits) {
  RESR_RETURN_IF_ERROR(ensure_vips());
  const std::string where = path.string();
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) return error(ErrorCode::kNotFound, "input image not found: " + where);
  if (!fs::is_regular_file(status)) {
    return error(ErrorCode::kInvalidImage, where + ": not a regular file");
  }
  if (fs::file_size(path, ec) == 0) {
    return error(ErrorCode::kInvalidImage, where + ": empty file (0 bytes), not an image");
  }

  // Which loader libvips picks (blocked loaders never match), then the policy.
  std::string format;
  {
    VipsPtr<VipsSource> source(vips_source_new_from_file(where.c_str()));
    if (!source)
      return error(ErrorCode::kIoError, "cannot read " + where + ": " + take_vips_error());
    const char* loader = vips_foreign_find_load_source(source.get());
    for (const AcceptedLoader& a : kAccepted) {
      if (loader != nullptr && std::strcmp(loader, a.loader) == 0) format = a.format;
    }
    if (format.empty()) {
      take_vips_error();
      return error(ErrorCode::kInvalidImage, where + ": refused: the file is " +
                                                 sniff_refused(path) + "; accepted formats are " +
                                                 accepted_input_formats());
    }
  }

  RESR_ASSIGN_OR_RETURN(VipsImagePtr image, load_header(path, VIPS_ACCESS_SEQUENTIAL));
  const int64_t pixels = static_cast<int64_t>(image->Xsize) * image->Ysize;
  if (pixels > limits.max_input_pixels) {
    return error(ErrorCode::kInvalidImage,
                 where + ": " + std::to_string(image->Xsize) + " x " +
                     std::to_string(image->Ysize) + " = " + pixels_text(pixels) +
                     " is over the input limit of " + pixels_text(limits.max_input_pixels) +
                     "; raise the limit if you trust this file");
  }

  ImageInfo info;
  info.source = where;
  info.format = format;
  info.orientation = vips_image_get_orientation(image.get());
  if (info.orientation != 1) {
    // Rotating needs rows in another order than the file stores them: decode
    // with random access (libvips spills to a temporary file above its disc
    // threshold, so memory stays bounded), then apply the orientation.
    RESR_ASSIGN_OR_RETURN(image, load_header(path, VIPS_ACCESS_RANDOM));
    VipsImage* rotated = nullptr;
    if (vips_autorot(image.get(), &rotated, nullptr) != 0) {
      return error(ErrorCode::kInvalidImage,
                   where + ": cannot apply EXIF orientation: " + take_vips_error());
    }
    image.reset(rotated);
  }

  if (image->Coding != VIPS_CODING_NONE ||
      (image->BandFmt != VIPS_FORMAT_UCHAR && image->BandFmt != VIPS_FORMAT_USHORT)) {
    return error(ErrorCode::kUnsupported,
                 where + ": " + vips_enum_nick(VIPS_TYPE_BAND_FORMAT, image->BandFmt) +
                     " samples are not supported; convert the image to 8- or 16-bit first");
  }
  info.bit_depth = image->BandFmt == VIPS_FORMAT_USHORT ? 16 : 8;

  if (image->Type == VIPS_INTERPRETATION_CMYK && (image->Bands == 4 || image->Bands == 5)) {
    RESR_ASSIGN_OR_RETURN(image, cmyk_to_srgb(image.get(), info.bit_depth, where));
    info.from_cmyk = true;
  }
  if (image->Bands < 1 || image->Bands > 4) {
    return error(ErrorCode::kUnsupported,
                 where + ": " + std::to_string(image->Bands) +
                     " bands; only grey, grey + alpha, RGB and RGBA images can be upscaled");
  }
  info.colour_channels = image->Bands <= 2 ? 1 : 3;
  info.has_alpha = image->Bands == 2 || image->Bands == 4;
  info.width = image->Xsize;
  info.height = image->Ysize;

  if (vips_image_get_typeof(image.get(), VIPS_META_ICC_NAME) != 0) {
    const void* data = nullptr;
    size_t size = 0;
    if (vips_image_get_blob(image.get(), VIPS_META_ICC_NAME, &data, &size) == 0) {
      const auto* bytes = static_cast<const uint8_t*>(data);
      info.icc_profile.assign(bytes, bytes + size);
    }
  }
  return InputImage(std::move(info), std::move(image));
}

}  // namespace resr
