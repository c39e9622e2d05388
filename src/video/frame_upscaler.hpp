// The model stage of the video pipeline: runs the network over one frame
// (whole, or in tiles when the frame is larger than the memory budget allows)
// through the image pipeline's TiledUpscaler, and returns 16-bit RGB at the
// model's scale.
#pragma once

#include "backend/backend.hpp"
#include "resr/status.hpp"
#include "tiling/tiled_upscaler.hpp"
#include "video/frame_conversion.hpp"

namespace resr {

struct FrameUpscaleSpec {
  int scale = 4;           // the model's
  int input_multiple = 1;  // the model's input sides must be multiples of this
  int tile = 0;            // <= 0: the whole frame in one run
  int tile_pad = kDefaultTilePad;
};

class FrameUpscaler {
 public:
  FrameUpscaler(Session& session, const FrameUpscaleSpec& spec) : session_(session), spec_(spec) {}
  // Errors: whatever the session returns.
  Result<Rgb48Frame> upscale(const FloatRgbFrame& frame);

 private:
  Session& session_;
  FrameUpscaleSpec spec_;
};

}  // namespace resr
