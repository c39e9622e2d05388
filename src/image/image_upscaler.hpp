// Upscales an opened image into a file, streaming: libvips pulls output rows as
// its encoder needs them; each request past what is ready runs the next row of
// tiles, which reads the next input rows. Peak memory is a few strips of the
// output width, whatever the image height; see docs/image-pipeline.md.
//
//   RESR_ASSIGN_OR_RETURN(InputImage in, open_image("photo.jpg"));
//   UpscaleOptions up;
//   up.model_scale = model.info.scale;
//   up.tile = 256;
//   RESR_ASSIGN_OR_RETURN(UpscaleReport r,
//       upscale_image(*session, std::move(in), "photo_out.jpg", {}, up));
#pragma once

#include <filesystem>
#include <optional>

#include "backend/backend.hpp"
#include "image/image_limits.hpp"
#include "image/image_loader.hpp"
#include "image/output_format.hpp"
#include "resr/status.hpp"
#include "tiling/auto_tile.hpp"
#include "tiling/output_size.hpp"
#include "tiling/tiled_upscaler.hpp"

namespace resr {

// The largest outscale: past it a Lanczos resample only multiplies pixels.
constexpr double kMaxOutscale = 64;

struct UpscaleOptions {
  int model_scale = 4;
  int input_multiple = 1;  // the model's input sides must be multiples of this
  // Output size / input size. 0: the model's scale. Otherwise the model runs at
  // its own scale, then Lanczos-3 resamples to round(size * outscale).
  double outscale = 0;
  int tile = 0;  // tile core in input pixels; <= 0: the whole image in one run
  // Set: each image's tile comes from this budget instead (auto_tile_size).
  std::optional<MemoryBudget> tile_budget;
  int tile_pad = kDefaultTilePad;
  int tile_blend = kDefaultTileBlend;
  AlphaMode alpha = AlphaMode::kModel;
  ImageLimits limits;
  // Progress runs on a libvips worker thread, one call at a time.
  TileCallbacks callbacks;
};

struct OutputOptions {
  OutputFormat format = OutputFormat::kPng;
  int quality = 95;  // JPEG and WebP
};

struct UpscaleReport {
  int width = 0;  // of the written image
  int height = 0;
  int tiles = 0;
  int bit_depth = 8;
};

// Writes to a temporary file beside `output` and renames it into place, so an
// interrupted run never leaves a partial image under the final name.
// Errors: kInvalidImage (the input turned out broken while decoding),
// kResourceExhausted (output over limits.max_output_pixels), kInvalidArgument
// (alpha into JPEG, bad outscale), kIoError (cannot write), kCancelled, and
// whatever the session returns.
Result<UpscaleReport> upscale_image(Session& session, InputImage input,
                                    const std::filesystem::path& output,
                                    const OutputOptions& format, const UpscaleOptions& options);

// An upscaled image computed into memory whose encoding is still to do, so a
// folder run can encode one image on another thread while it upscales the next.
class DeferredWrite {
 public:
  DeferredWrite(VipsImagePtr image, std::filesystem::path output, OutputOptions format,
                UpscaleReport report)
      : image_(std::move(image)), output_(std::move(output)), format_(format), report_(report) {}
  const std::filesystem::path& output() const { return output_; }
  // Encodes beside the output and renames it into place (kIoError when it cannot).
  Result<UpscaleReport> write();

 private:
  VipsImagePtr image_;
  std::filesystem::path output_;
  OutputOptions format_;
  UpscaleReport report_;
};

// Like upscale_image, but holds the whole output in memory and leaves its
// encoding to DeferredWrite::write(); for outputs of a known small size
// (upscaled_bytes), as memory is not bounded here.
Result<DeferredWrite> upscale_image_deferred(Session& session, InputImage input,
                                             const std::filesystem::path& output,
                                             const OutputOptions& format,
                                             const UpscaleOptions& options);

// Resizes with Lanczos-3 alone, no model (the server's use_realesrgan=false and
// its fallback when the model fails): round(side * scale) per side, metadata
// and atomic write as upscale_image. Errors as upscale_image.
Result<UpscaleReport> resize_image(InputImage input, const std::filesystem::path& output,
                                   const OutputOptions& format, double scale,
                                   const ImageLimits& limits);

// Bytes of the output's pixels for `info` upscaled with `options`.
int64_t upscaled_bytes(const ImageInfo& info, const UpscaleOptions& options);

// Bytes the pipeline itself holds at its peak while upscaling a width x height
// image with `channels` output channels (the model's activations for one tile
// come on top; ask the backend). Grows with the width and the tile, never with
// the height (except for tile <= 0, the whole image at once). For a memory
// budget that picks the tile size.
int64_t pipeline_buffer_bytes(int width, int height, int channels, int bit_depth, int scale,
                              int tile, int pad, int blend);

}  // namespace resr
