// Runs a model over an image one row of tiles at a time, so memory depends on the
// image width and the tile size, never on the image height.
//
// Knows nothing of files or codecs: input rows come from a RowSource, finished
// output rows leave as OutputStrips (see image_upscaler.hpp for the libvips side).
#pragma once

#include <atomic>
#include <functional>
#include <vector>

#include "backend/backend.hpp"
#include "resr/status.hpp"
#include "tiling/strip_assembler.hpp"
#include "tiling/tile_plan.hpp"

namespace resr {

enum class AlphaMode {
  kModel,    // alpha runs through the model as a grey image (as Real-ESRGAN does)
  kBicubic,  // alpha is upscaled bicubically: half the model runs
};

// Input rows, requested strictly top to bottom, each row once.
class RowSource {
 public:
  virtual ~RowSource() = default;
  // Writes rows [y_begin, y_end) as floats in [0, 1], laid out
  // {rows, channels, width} (each row holds its channels one after another).
  virtual Status read_rows(int y_begin, int y_end, float* dst) = 0;
};

struct TiledUpscaleSpec {
  int width = 0;
  int height = 0;
  int colour_channels = 3;  // 1: grey (runs as RGB, returns luma), 3: RGB
  bool has_alpha = false;   // one more input channel after the colour ones
  AlphaMode alpha = AlphaMode::kModel;
  int scale = 4;           // the model's
  int input_multiple = 1;  // model input sides must be multiples of this (pixel unshuffle)
  int tile = 0;            // core size in input pixels; <= 0: the whole image at once
  int pad = kDefaultTilePad;
  int blend = kDefaultTileBlend;
  int bit_depth = 8;  // of the output samples: 8 or 16
};

struct TileCallbacks {
  // After each tile: tiles done, tiles in total. Called on the computing thread.
  std::function<void(int done, int total)> progress;
  // Checked before each tile; when set, the run stops with kCancelled.
  const std::atomic<bool>* cancel = nullptr;
};

class TiledUpscaler {
 public:
  TiledUpscaler(Session& session, const TiledUpscaleSpec& spec, TileCallbacks callbacks = {});

  const TilePlan& plan() const { return plan_; }
  int output_channels() const { return spec_.colour_channels + (spec_.has_alpha ? 1 : 0); }
  bool finished() const { return next_row_ >= plan_.rows.count(); }

  // Reads the input rows the next row of tiles needs, runs its tiles and returns
  // the output rows they finish.
  Result<OutputStrip> next_strip(RowSource& source);
  // Returns a consumed strip's storage for reuse.
  void recycle(OutputStrip&& done) { assembler_.recycle(std::move(done)); }

 private:
  int input_channels() const { return output_channels(); }
  Status advance_window(RowSource& source, Span rows);
  // The tile's input region from `first_channel` on: as a 3-channel model input
  // when `as_rgb` (grey and alpha replicated), else that one channel; sides
  // padded by reflection to a multiple of `multiple`.
  Tensor tile_input(Span cols, Span rows, int first_channel, bool as_rgb, int multiple) const;
  Result<Tensor> run_model(const Tensor& input);
  Result<Tensor> produce_tile(int col, int row);

  Session& session_;
  TiledUpscaleSpec spec_;
  TileCallbacks callbacks_;
  TilePlan plan_;
  StripAssembler assembler_;
  int next_row_ = 0;
  int tiles_done_ = 0;
  // Input rows [window_rows_.begin, window_rows_.end), {rows, channels, width}.
  Span window_rows_;
  std::vector<float> window_;
};

}  // namespace resr
