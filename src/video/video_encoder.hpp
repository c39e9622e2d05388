// The video encoder: the user's codec options checked against what the codec
// offers, and an opened AVCodecContext for the upscaled frames.
#pragma once

#include <string>

#include "resr/status.hpp"
#include "video/av_handles.hpp"
#include "video/frame_conversion.hpp"

namespace resr {

struct EncoderSettings {
  std::string codec = "libx264";
  int crf = -1;         // < 0: the codec's default
  std::string preset;   // empty: the codec's default
  std::string pix_fmt;  // empty: the supported format closest to the source's
  int threads = 0;      // 0: the codec's choice
};

// The encoder's pixel format: --pix-fmt when the codec supports it, else the
// codec's supported format that loses least of `source` (so a 10-bit source
// stays 10-bit where the codec can). Errors: kInvalidArgument (unknown codec,
// not a video encoder, or a pixel format the codec cannot take).
Result<AVPixelFormat> choose_encoder_pix_fmt(const EncoderSettings& settings, AVPixelFormat source);

// Output sides rounded down to what the pixel format's chroma subsampling
// allows (even sides for 4:2:0), never below one chroma block.
void fit_to_chroma_grid(AVPixelFormat pix_fmt, int& width, int& height);

struct EncoderStreamSpec {
  EncoderFrameFormat frame;
  AVRational time_base{1, 25};
  AVRational frame_rate{0, 1};
  AVRational sample_aspect_ratio{0, 1};
};

// Opens the encoder with global headers (the containers written need them).
// Errors: kInvalidArgument (an option the codec refuses), kUnsupported.
Result<CodecContextPtr> open_video_encoder(const EncoderSettings& settings,
                                           const EncoderStreamSpec& spec);

}  // namespace resr
