// Conversions between decoded frames and what the model stage works on, in
// 16 bits per sample whatever the source depth, so 10- and 12-bit video is
// never truncated to 8 bits:
//   decoded frame (any pix_fmt) -> float RGB rows in [0, 1]   (model input)
//   16-bit RGB (model output)   -> encoder frame, resized with Lanczos
// Colour matrix and range come from the frames' own metadata, both ways.
#pragma once

#include <cstdint>
#include <vector>

#include "resr/status.hpp"
#include "video/av_handles.hpp"

namespace resr {

// A frame as float RGB rows in [0, 1], laid out {height, 3, width}: each row
// holds its R, G and B samples one channel after another (a RowSource's layout).
struct FloatRgbFrame {
  int width = 0;
  int height = 0;
  std::vector<float> samples;
};

// Packed 16-bit RGB (AV_PIX_FMT_RGB48, native endian), rows without padding.
struct Rgb48Frame {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> bytes;
};

class FrameToFloatRgb {
 public:
  Result<FloatRgbFrame> convert(const AVFrame& frame);

 private:
  SwsPtr sws_;
  FramePtr planar_ = make_frame();  // GBRP16
};

struct EncoderFrameFormat {
  int width = 0;
  int height = 0;
  AVPixelFormat pix_fmt = AV_PIX_FMT_YUV420P;
  AVColorRange color_range = AVCOL_RANGE_UNSPECIFIED;
  AVColorPrimaries color_primaries = AVCOL_PRI_UNSPECIFIED;
  AVColorTransferCharacteristic color_trc = AVCOL_TRC_UNSPECIFIED;
  AVColorSpace colorspace = AVCOL_SPC_UNSPECIFIED;
  AVChromaLocation chroma_location = AVCHROMA_LOC_UNSPECIFIED;
};

class Rgb48ToEncoderFrame {
 public:
  explicit Rgb48ToEncoderFrame(const EncoderFrameFormat& format) : format_(format) {}
  // A new frame of the encoder's size and pixel format (Lanczos when the sizes differ).
  Result<FramePtr> convert(const Rgb48Frame& rgb);

 private:
  EncoderFrameFormat format_;
  SwsPtr sws_;
};

}  // namespace resr
