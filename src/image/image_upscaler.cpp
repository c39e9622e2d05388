#include "image/image_upscaler.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>

#include "core/pending_file.hpp"
#include "image/vips_runtime.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

// Input rows straight from a libvips region, converted to floats in [0, 1].
class RegionRows final : public RowSource {
 public:
  RegionRows(VipsRegion* region, const ImageInfo& info) : region_(region), info_(info) {}

  Status read_rows(int y_begin, int y_end, float* dst) override {
    const int width = info_.width;
    const int channels = region_->im->Bands;
    // A few rows at a time keep the region's own buffer small.
    constexpr int kChunk = 32;
    for (int y0 = y_begin; y0 < y_end; y0 += kChunk) {
      const int rows = std::min(kChunk, y_end - y0);
      VipsRect rect{0, y0, width, rows};
      if (vips_region_prepare(region_, &rect) != 0) {
        return error(ErrorCode::kInvalidImage,
                     info_.source + ": cannot decode rows " + std::to_string(y0) + "-" +
                         std::to_string(y0 + rows) +
                         " (truncated or corrupt?): " + take_vips_error());
      }
      for (int y = y0; y < y0 + rows; ++y) {
        float* out = dst + static_cast<size_t>(y - y_begin) * channels * width;
        const VipsPel* in = VIPS_REGION_ADDR(region_, 0, y);
        if (info_.bit_depth == 16) {
          const auto* s = reinterpret_cast<const uint16_t*>(in);
          for (int x = 0; x < width; ++x)
            for (int c = 0; c < channels; ++c)
              out[c * width + x] = s[x * channels + c] * (1.0f / 65535.0f);
        } else {
          for (int x = 0; x < width; ++x)
            for (int c = 0; c < channels; ++c)
              out[c * width + x] = in[x * channels + c] * (1.0f / 255.0f);
        }
      }
    }
    return Status::ok();
  }

 private:
  VipsRegion* region_;
  const ImageInfo& info_;
};

// Serves libvips' requests for output rows from strips computed in order. Worker
// threads ask concurrently and slightly out of order; strips are computed under
// the lock, in order, and kept until requests have moved `keep_rows` past them.
struct StripProducer {
  StripProducer(Session& session, const TiledUpscaleSpec& spec, TileCallbacks callbacks,
                const ImageInfo& info)
      : upscaler(session, spec, std::move(callbacks)), info(info) {}

  std::mutex mutex;
  TiledUpscaler upscaler;
  const ImageInfo& info;
  std::deque<OutputStrip> strips;
  int keep_rows = 0;
  int furthest_request = 0;
  Status failure;

  // Fills `out` (a libvips region of the native-scale output); false on failure.
  bool fill(VipsRegion* out, VipsRegion* input) {
    const VipsRect& r = out->valid;
    std::lock_guard<std::mutex> lock(mutex);
    if (!failure.is_ok()) return false;
    furthest_request = std::max(furthest_request, r.top);
    const int bottom = r.top + r.height;
    while ((strips.empty() || strips.back().y_end < bottom) && !upscaler.finished()) {
      // Release before computing, so at most one strip more than needed exists.
      while (!strips.empty() && strips.front().y_end <= furthest_request - keep_rows) {
        upscaler.recycle(std::move(strips.front()));
        strips.pop_front();
      }
      RegionRows rows(input, info);
      Result<OutputStrip> strip = upscaler.next_strip(rows);
      if (!strip.is_ok()) {
        failure = strip.status();
        return false;
      }
      strips.push_back(std::move(strip).value());
    }
    if (strips.empty() || r.top < strips.front().y_begin || strips.back().y_end < bottom) {
      failure = error(ErrorCode::kInternal, "output rows " + std::to_string(r.top) + "-" +
                                                std::to_string(bottom) +
                                                " requested after they were released");
      return false;
    }
    auto strip = strips.begin();
    const size_t pixel_bytes = strip->row_bytes() / strip->width;
    for (int y = r.top; y < bottom; ++y) {
      while (strip->y_end <= y) ++strip;
      std::memcpy(VIPS_REGION_ADDR(out, r.left, y), strip->row(y) + r.left * pixel_bytes,
                  r.width * pixel_bytes);
    }
    return true;
  }
};

int generate_strip(VipsRegion* out, void* seq, void*, void* b, gboolean*) {
  auto* producer = static_cast<StripProducer*>(b);
  if (producer->fill(out, static_cast<VipsRegion*>(seq))) return 0;
  vips_error("real-esrgan-serve", "%s", producer->failure.message().c_str());
  return -1;
}

VipsInterpretation interpretation_for(int colour_channels, int bit_depth) {
  if (colour_channels == 1)
    return bit_depth == 16 ? VIPS_INTERPRETATION_GREY16 : VIPS_INTERPRETATION_B_W;
  return bit_depth == 16 ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB;
}

// Lanczos-3 to the final size; alpha images are resampled premultiplied so
// transparent pixels' colours do not bleed into visible edges.
Result<VipsImagePtr> resample(VipsImage* in, int width, int height, bool has_alpha, int bit_depth) {
  const double hscale = static_cast<double>(width) / in->Xsize;
  const double vscale = static_cast<double>(height) / in->Ysize;
  auto failed = [] {
    return error(ErrorCode::kInternal, "cannot resample the output: " + take_vips_error());
  };
  VipsImage* step = nullptr;
  VipsImagePtr out;
  if (!has_alpha) {
    if (vips_resize(in, &step, hscale, "vscale", vscale, "kernel", VIPS_KERNEL_LANCZOS3, nullptr) !=
        0) {
      return failed();
    }
    out.reset(step);
  } else {
    const double max_alpha = bit_depth == 16 ? 65535.0 : 255.0;
    if (vips_premultiply(in, &step, "max_alpha", max_alpha, nullptr) != 0) return failed();
    VipsImagePtr premultiplied(step);
    if (vips_resize(premultiplied.get(), &step, hscale, "vscale", vscale, "kernel",
                    VIPS_KERNEL_LANCZOS3, nullptr) != 0) {
      return failed();
    }
    VipsImagePtr resized(step);
    if (vips_unpremultiply(resized.get(), &step, "max_alpha", max_alpha, nullptr) != 0) {
      return failed();
    }
    VipsImagePtr straight(step);
    // vips_cast truncates: add one half first to round to nearest.
    const double one = 1.0, half = 0.5;
    if (vips_linear(straight.get(), &step, &one, &half, 1, nullptr) != 0) return failed();
    VipsImagePtr rounded(step);
    if (vips_cast(rounded.get(), &step, in->BandFmt, nullptr) != 0) return failed();
    out.reset(step);
  }
  if (out->Xsize != width || out->Ysize != height) {
    return error(ErrorCode::kInternal, "resampling gave " + std::to_string(out->Xsize) + "x" +
                                           std::to_string(out->Ysize) + " instead of " +
                                           std::to_string(width) + "x" + std::to_string(height));
  }
  return out;
}

// Metadata of the written file: the input's (EXIF, XMP, IPTC come along), the
// input's ICC profile byte for byte, resolution scaled so the print size stays,
// and nothing that would make an encoder reduce or split the new pixels.
Result<VipsImagePtr> finish_metadata(VipsImage* in, const ImageInfo& info, double scale) {
  VipsImage* out = nullptr;
  if (vips_copy(in, &out, "xres", in->Xres, "yres", in->Yres, nullptr) != 0) {
    return error(ErrorCode::kInternal, "cannot copy the output: " + take_vips_error());
  }
  VipsImagePtr image(out);
  image->Xres = in->Xres * scale;
  image->Yres = in->Yres * scale;
  for (const char* field : {"palette-bit-depth", "bits-per-sample", "palette",
                            VIPS_META_PAGE_HEIGHT, VIPS_META_N_PAGES, VIPS_META_ORIENTATION}) {
    vips_image_remove(image.get(), field);
  }
  if (info.icc_profile.empty()) {
    vips_image_remove(image.get(), VIPS_META_ICC_NAME);
  } else {
    vips_image_set_blob_copy(image.get(), VIPS_META_ICC_NAME, info.icc_profile.data(),
                             info.icc_profile.size());
  }
  return image;
}

int save(VipsImage* image, VipsTarget* target, const OutputOptions& options, int bit_depth) {
  switch (options.format) {
    case OutputFormat::kPng:
      return vips_image_write_to_target(image, ".png", target, "bitdepth", bit_depth, nullptr);
    case OutputFormat::kJpeg:
      return vips_image_write_to_target(image, ".jpg", target, "Q", options.quality, nullptr);
    case OutputFormat::kWebp:
      return vips_image_write_to_target(image, ".webp", target, "Q", options.quality, nullptr);
    case OutputFormat::kTiff:
      return vips_image_write_to_target(image, ".tif", target, "compression",
                                        VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE, nullptr);
  }
  return -1;
}

// Pixels of the largest tile input (core plus context), clipped to the image.
int64_t tile_input_pixels(int width, int height, int tile, int pad) {
  if (tile <= 0) return static_cast<int64_t>(width) * height;
  return static_cast<int64_t>(std::min(tile + 2 * pad, width)) * std::min(tile + 2 * pad, height);
}

}  // namespace

int64_t pipeline_buffer_bytes(int width, int height, int channels, int bit_depth, int scale,
                              int tile, int pad, int blend) {
  const int64_t core = tile <= 0 ? height : std::min(tile, height);
  const int64_t band = tile <= 0 ? 0 : 2 * std::min(blend, pad);
  const int64_t out_row = static_cast<int64_t>(width) * scale * channels;
  const int64_t sample = bit_depth / 8;
  // Finished strips: the one libvips reads, the next one, the one being assembled.
  const int64_t strips = 3 * core * scale * out_row * sample;
  const int64_t carry = band * scale * out_row * 4;
  const int64_t input_rows = std::min<int64_t>(core + 2 * pad, height) * width * channels * 4;
  // libvips' disc sink writes one buffer of 128 rows while filling another.
  const int64_t sink = 2 * 128 * out_row * sample;
  // One tile in float: model input, model output, the cropped output.
  const int64_t tile_tensors =
      tile_input_pixels(width, height, tile, pad) * 3 * 4 * (1 + 2 * scale * scale);
  return strips + carry + input_rows + sink + tile_tensors;
}

namespace {

// Writes `image` (the whole pipeline, or pixels already in memory) to a
// temporary file beside `output` and renames it into place. `producer`, when
// the pixels are still being computed, has the last word on success.
Status write_output(VipsImage* image, const fs::path& output, const OutputOptions& format,
                    int bit_depth, const StripProducer* producer) {
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<PendingFile> file, PendingFile::create_for_path(output));
  VipsPtr<VipsTarget> target(vips_target_new_to_file(file->temp_path().c_str()));
  if (!target) {
    return error(ErrorCode::kIoError, "cannot write " + output.string() + ": " + take_vips_error());
  }
  const bool saved = save(image, target.get(), format, bit_depth) == 0;
  target.reset();
  // libvips 8.14 can lose a worker thread's error and report success (fixed in
  // 8.15.5, libvips PR #4116): the producer's own record decides as well.
  if (!saved || (producer && (!producer->failure.is_ok() || !producer->upscaler.finished()))) {
    const std::string vips_text = take_vips_error();
    if (producer && !producer->failure.is_ok()) return producer->failure;
    if (saved) return error(ErrorCode::kInternal, "the encoder stopped before the last row");
    return error(ErrorCode::kIoError, "cannot write " + output.string() + ": " + vips_text);
  }
  return file->commit();
}

// Builds the whole pipeline (input -> tiles -> model -> strips -> resample ->
// metadata) and hands its end to `sink`, which pulls the pixels through it;
// `output_in_memory` when the sink keeps the whole result (the memory budget
// counts it).
template <typename Sink>
Result<UpscaleReport> run_pipeline(Session& session, InputImage input, const OutputOptions& format,
                                   const UpscaleOptions& options, bool output_in_memory,
                                   Sink sink) {
  RESR_RETURN_IF_ERROR(ensure_vips());
  const ImageInfo& info = input.info();
  if (options.model_scale < 1 || !(options.outscale >= 0) || options.outscale > kMaxOutscale) {
    return error(ErrorCode::kInvalidArgument, "outscale must be above 0 and at most " +
                                                  std::to_string(int(kMaxOutscale)) + ", got " +
                                                  std::to_string(options.outscale));
  }
  if (info.has_alpha && !output_format_keeps_alpha(format.format)) {
    return error(ErrorCode::kInvalidArgument, info.source + " has transparency, which " +
                                                  output_format_extension(format.format) +
                                                  " cannot store; write PNG instead");
  }
  const int native_w = info.width * options.model_scale;
  const int native_h = info.height * options.model_scale;
  UpscaleReport report;
  report.width = upscaled_side(info.width, options.model_scale, options.outscale);
  report.height = upscaled_side(info.height, options.model_scale, options.outscale);
  const int64_t out_pixels = static_cast<int64_t>(report.width) * report.height;
  if (out_pixels > options.limits.max_output_pixels ||
      static_cast<int64_t>(native_w) * native_h > INT32_MAX) {
    return error(ErrorCode::kResourceExhausted,
                 info.source + ": the output would be " + std::to_string(report.width) + " x " +
                     std::to_string(report.height) + " = " + std::to_string(out_pixels) +
                     " pixels, over the output limit of " +
                     std::to_string(options.limits.max_output_pixels));
  }
  report.bit_depth = info.bit_depth == 16 && output_format_keeps_16_bit(format.format) ? 16 : 8;

  TiledUpscaleSpec spec;
  spec.width = info.width;
  spec.height = info.height;
  spec.colour_channels = info.colour_channels;
  spec.has_alpha = info.has_alpha;
  spec.alpha = options.alpha;
  spec.scale = options.model_scale;
  spec.input_multiple = options.input_multiple;
  spec.tile = options.tile;
  if (options.tile_budget) {
    const int out_channels = info.colour_channels + (info.has_alpha ? 1 : 0);
    spec.tile = auto_tile_size(
        *options.tile_budget, info.width, info.height, options.tile_pad, [&](int tile) {
          return pipeline_buffer_bytes(info.width, info.height, out_channels, report.bit_depth,
                                       options.model_scale, tile, options.tile_pad,
                                       options.tile_blend) +
                 (output_in_memory ? upscaled_bytes(info, options) : 0);
        });
  }
  spec.pad = options.tile_pad;
  spec.blend = options.tile_blend;
  spec.bit_depth = report.bit_depth;
  // Declared before the images so it outlives every libvips thread using it.
  StripProducer producer(session, spec, options.callbacks, info);
  report.tiles = producer.upscaler.plan().tile_count();

  VipsImagePtr native(vips_image_new());
  if (vips_image_pipelinev(native.get(), VIPS_DEMAND_STYLE_FATSTRIP, input.pixels(), nullptr)) {
    return error(ErrorCode::kInternal, "cannot build the output image: " + take_vips_error());
  }
  const int channels = producer.upscaler.output_channels();
  vips_image_init_fields(native.get(), native_w, native_h, channels,
                         report.bit_depth == 16 ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR,
                         VIPS_CODING_NONE,
                         interpretation_for(info.colour_channels, report.bit_depth),
                         input.pixels()->Xres, input.pixels()->Yres);
  if (vips_image_generate(native.get(), vips_start_one, generate_strip, vips_stop_one,
                          input.pixels(), &producer)) {
    return error(ErrorCode::kInternal, "cannot build the output image: " + take_vips_error());
  }

  VipsImagePtr sized;
  if (report.width == native_w && report.height == native_h) {
    sized.reset(native.release());
  } else {
    RESR_ASSIGN_OR_RETURN(sized, resample(native.get(), report.width, report.height, info.has_alpha,
                                          report.bit_depth));
  }
  RESR_ASSIGN_OR_RETURN(
      VipsImagePtr final_image,
      finish_metadata(sized.get(), info, static_cast<double>(report.width) / info.width));

  // libvips' disc sink fills one buffer of n_lines rows while it writes the
  // previous one, so concurrent requests lie within n_lines of each other; add
  // a request's height and the resampling kernel's reach, in native rows.
  int tile_w = 0, tile_h = 0, n_lines = 0;
  vips_get_tile_size(final_image.get(), &tile_w, &tile_h, &n_lines);
  const int ratio = (native_h + report.height - 1) / report.height;
  producer.keep_rows = (n_lines + 2 * tile_h) * ratio + 64;

  RESR_RETURN_IF_ERROR(sink(final_image.get(), report, producer));
  return report;
}

}  // namespace

Result<UpscaleReport> upscale_image(Session& session, InputImage input, const fs::path& output,
                                    const OutputOptions& format, const UpscaleOptions& options) {
  return run_pipeline(
      session, std::move(input), format, options, false,
      [&](VipsImage* image, const UpscaleReport& report, const StripProducer& producer) {
        return write_output(image, output, format, report.bit_depth, &producer);
      });
}

Result<DeferredWrite> upscale_image_deferred(Session& session, InputImage input,
                                             const fs::path& output, const OutputOptions& format,
                                             const UpscaleOptions& options) {
  VipsImagePtr computed;
  RESR_ASSIGN_OR_RETURN(
      UpscaleReport report,
      run_pipeline(
          session, std::move(input), format, options, true,
          [&](VipsImage* image, const UpscaleReport&, const StripProducer& producer) -> Status {
            computed.reset(vips_image_copy_memory(image));
            if (!producer.failure.is_ok()) return producer.failure;
            if (!computed || !producer.upscaler.finished()) {
              return error(ErrorCode::kInternal,
                           "cannot compute " + output.string() + ": " + take_vips_error());
            }
            return Status::ok();
          }));
  return DeferredWrite(std::move(computed), output, format, report);
}

Result<UpscaleReport> DeferredWrite::write() {
  RESR_RETURN_IF_ERROR(write_output(image_.get(), output_, format_, report_.bit_depth, nullptr));
  image_.reset();
  return report_;
}

int64_t upscaled_bytes(const ImageInfo& info, const UpscaleOptions& options) {
  const int64_t width = upscaled_side(info.width, options.model_scale, options.outscale);
  const int64_t height = upscaled_side(info.height, options.model_scale, options.outscale);
  return width * height * (info.colour_channels + (info.has_alpha ? 1 : 0)) *
         (info.bit_depth == 16 ? 2 : 1);
}

Result<UpscaleReport> resize_image(InputImage input, const fs::path& output,
                                   const OutputOptions& format, double scale,
                                   const ImageLimits& limits) {
  RESR_RETURN_IF_ERROR(ensure_vips());
  const ImageInfo& info = input.info();
  if (!(scale > 0) || scale > 64) {
    return error(ErrorCode::kInvalidArgument,
                 "scale must be above 0 and at most 64, got " + std::to_string(scale));
  }
  if (info.has_alpha && !output_format_keeps_alpha(format.format)) {
    return error(ErrorCode::kInvalidArgument, info.source + " has transparency, which " +
                                                  output_format_extension(format.format) +
                                                  " cannot store; write PNG instead");
  }
  UpscaleReport report;
  report.width = upscaled_side(info.width, 1, scale);
  report.height = upscaled_side(info.height, 1, scale);
  report.bit_depth = info.bit_depth == 16 && output_format_keeps_16_bit(format.format) ? 16 : 8;
  const int64_t out_pixels = static_cast<int64_t>(report.width) * report.height;
  if (out_pixels > limits.max_output_pixels) {
    return error(ErrorCode::kResourceExhausted,
                 info.source + ": the output would be " + std::to_string(report.width) + " x " +
                     std::to_string(report.height) + " = " + std::to_string(out_pixels) +
                     " pixels, over the output limit of " +
                     std::to_string(limits.max_output_pixels));
  }
  VipsImagePtr samples(input.pixels());
  g_object_ref(samples.get());
  if (report.bit_depth != info.bit_depth) {
    // 16 -> 8 bit: 65535 / 257 = 255, plus one half so the cast rounds.
    VipsImage* step = nullptr;
    const double factor = 1.0 / 257.0, half = 0.5;
    if (vips_linear(samples.get(), &step, &factor, &half, 1, nullptr) != 0) {
      return error(ErrorCode::kInternal, "cannot convert to 8 bits: " + take_vips_error());
    }
    VipsImagePtr scaled(step);
    if (vips_cast(scaled.get(), &step, VIPS_FORMAT_UCHAR, nullptr) != 0) {
      return error(ErrorCode::kInternal, "cannot convert to 8 bits: " + take_vips_error());
    }
    samples.reset(step);
  }
  RESR_ASSIGN_OR_RETURN(VipsImagePtr sized, resample(samples.get(), report.width, report.height,
                                                     info.has_alpha, report.bit_depth));
  RESR_ASSIGN_OR_RETURN(
      VipsImagePtr final_image,
      finish_metadata(sized.get(), info, static_cast<double>(report.width) / info.width));
  RESR_RETURN_IF_ERROR(write_output(final_image.get(), output, format, report.bit_depth, nullptr));
  return report;
}

}  // namespace resr
