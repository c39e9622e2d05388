// Demuxes and decodes the video stream of a file: frames in presentation
// order, with timestamps in the stream's time base, optionally limited to a
// time range.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "resr/status.hpp"
#include "video/av_handles.hpp"

namespace resr {

struct TimeRange {
  double start = 0;     // seconds from the start of the file
  double duration = 0;  // seconds; <= 0: to the end
};

// What the rest of the pipeline needs to know about the source video.
struct VideoSourceInfo {
  int stream_index = -1;
  int width = 0;
  int height = 0;
  AVPixelFormat pix_fmt = AV_PIX_FMT_NONE;
  int bits_per_component = 8;
  AVRational time_base{0, 1};
  AVRational frame_rate{0, 1};  // average; {0, 1} when unknown
  AVRational sample_aspect_ratio{0, 1};
  AVColorRange color_range = AVCOL_RANGE_UNSPECIFIED;
  AVColorPrimaries color_primaries = AVCOL_PRI_UNSPECIFIED;
  AVColorTransferCharacteristic color_trc = AVCOL_TRC_UNSPECIFIED;
  AVColorSpace colorspace = AVCOL_SPC_UNSPECIFIED;
  AVChromaLocation chroma_location = AVCHROMA_LOC_UNSPECIFIED;
  std::string codec_name;
  // Frames the range holds, from the container's count or its duration; 0: unknown.
  int64_t expected_frames = 0;
  // The time (AV_TIME_BASE units) that becomes 0 in the output: 0 without a
  // range (timestamps stay as they are), else the range's start. Every stream
  // is shifted by it, so they stay in sync.
  int64_t origin_us = 0;
  int64_t end_us = INT64_MAX;  // the range's end, same units
};

class VideoReader {
 public:
  // Errors: those of open_media_input; kInvalidImage (no video stream, or a
  // stream without a size); kUnsupported (no decoder in this build);
  // kInvalidArgument (a range outside the file).
  static Result<VideoReader> open(const std::filesystem::path& path, const TimeRange& range);

  const VideoSourceInfo& info() const { return info_; }
  AVFormatContext* format() const { return format_.get(); }

  // The next frame of the range with its pts relative to the origin, or null
  // at the end. Errors: kInvalidImage (a packet that cannot be read or decoded,
  // with its byte offset; frames ending well before the length the container
  // declares: a truncated file), kUnsupported (the frame size changes mid-stream).
  Result<FramePtr> next_frame();
  // Frames handed out so far.
  int64_t frames_read() const { return frames_read_; }

 private:
  VideoReader() = default;
  // Feeds the decoder one more packet (or the flush); false at the end of the stream.
  Result<bool> feed_decoder();
  Status check_frame(const AVFrame& frame) const;
  Status check_complete() const;

  std::filesystem::path path_;
  InputFormatPtr format_;
  CodecContextPtr decoder_;
  PacketPtr packet_ = make_packet();
  VideoSourceInfo info_;
  int64_t start_pts_ = INT64_MIN;  // the range in time_base
  int64_t end_pts_ = INT64_MAX;
  int64_t next_pts_ = 0;  // for frames that come without a timestamp
  int64_t frames_read_ = 0;
  bool flushed_ = false;
};

}  // namespace resr
