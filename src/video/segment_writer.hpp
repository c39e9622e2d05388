// Encodes one segment of the upscaled video into its own file (MP4 or
// QuickTime where the codec allows: a single video stream, timestamps exactly
// in the encoder's time base). Each
// segment starts a fresh encoder, so it opens with a keyframe and references
// nothing outside itself: segments join without glitches and a finished one
// never needs redoing.
#pragma once

#include <filesystem>

#include "resr/status.hpp"
#include "video/av_handles.hpp"
#include "video/video_encoder.hpp"

namespace resr {

class SegmentWriter {
 public:
  // Errors: those of open_video_encoder; kIoError (cannot create the file).
  static Result<SegmentWriter> open(const std::filesystem::path& path,
                                    const EncoderSettings& settings, const EncoderStreamSpec& spec);

  // `frame->pts` in the spec's time base.
  Status write(AVFrame* frame);
  // Drains the encoder and completes the file.
  Status finish();

 private:
  SegmentWriter() = default;
  Status drain();

  std::filesystem::path path_;
  CodecContextPtr encoder_;
  OutputFormatPtr muxer_;
  PacketPtr packet_ = make_packet();
};

}  // namespace resr
