#include "video/video_reader.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <cmath>
#include <cstdio>

#include "video/media_input.hpp"

namespace resr {

namespace {

// The stream to upscale: the container's best video stream that is a real
// video, not a cover picture.
int pick_video_stream(AVFormatContext* format) {
  const int best = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (best >= 0 && !(format->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC)) return best;
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    const AVStream* s = format->streams[i];
    if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        !(s->disposition & AV_DISPOSITION_ATTACHED_PIC))
      return static_cast<int>(i);
  }
  return -1;
}

std::string stream_list(AVFormatContext* format) {
  std::string list;
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    const AVCodecParameters* p = format->streams[i]->codecpar;
    const char* type = av_get_media_type_string(p->codec_type);
    if (!list.empty()) list += ", ";
    list += std::string(type != nullptr ? type : "unknown") + " " + avcodec_get_name(p->codec_id);
  }
  return list.empty() ? "none" : list;
}

double file_duration_seconds(const AVFormatContext* format, const AVStream* stream) {
  if (stream->duration > 0)
    return static_cast<double>(stream->duration) * av_q2d(stream->time_base);
  if (format->duration > 0) return static_cast<double>(format->duration) / AV_TIME_BASE;
  return 0;
}

}  // namespace

Result<VideoReader> VideoReader::open(const std::filesystem::path& path, const TimeRange& range) {
  VideoReader reader;
  reader.path_ = path;
  RESR_ASSIGN_OR_RETURN(reader.format_, open_media_input(path));
  AVFormatContext* format = reader.format_.get();
  const int index = pick_video_stream(format);
  if (index < 0) {
    return error(ErrorCode::kInvalidImage, path.string() + " has no video stream (streams: " +
                                               stream_list(format) + "); give a video file");
  }
  AVStream* stream = format->streams[index];
  const AVCodecParameters* par = stream->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (codec == nullptr) {
    return error(ErrorCode::kUnsupported,
                 path.string() + ": this build's libavcodec has no decoder for its video codec '" +
                     avcodec_get_name(par->codec_id) + "'; convert it with ffmpeg first");
  }
  if (par->width <= 0 || par->height <= 0) {
    return error(ErrorCode::kInvalidImage, path.string() + ": the video stream #" +
                                               std::to_string(index) +
                                               " has no frame size; the file is broken");
  }
  reader.decoder_ = CodecContextPtr(avcodec_alloc_context3(codec));
  int rc = avcodec_parameters_to_context(reader.decoder_.get(), par);
  if (rc >= 0) {
    reader.decoder_->pkt_timebase = stream->time_base;
    rc = avcodec_open2(reader.decoder_.get(), codec, nullptr);
  }
  if (rc < 0) {
    return error(ErrorCode::kUnsupported, path.string() + ": cannot open the " + codec->name +
                                              " decoder: " + av_error_text(rc));
  }

  VideoSourceInfo& info = reader.info_;
  info.stream_index = index;
  info.width = par->width;
  info.height = par->height;
  info.pix_fmt = static_cast<AVPixelFormat>(par->format);
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(info.pix_fmt);
  info.bits_per_component = desc != nullptr ? desc->comp[0].depth : 8;
  info.time_base = stream->time_base;
  info.frame_rate = stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate : stream->r_frame_rate;
  info.sample_aspect_ratio = av_guess_sample_aspect_ratio(format, stream, nullptr);
  info.color_range = par->color_range;
  info.color_primaries = par->color_primaries;
  info.color_trc = par->color_trc;
  info.colorspace = par->color_space;
  info.chroma_location = par->chroma_location;
  info.codec_name = avcodec_get_name(par->codec_id);

  const double length = file_duration_seconds(format, stream);
  if (range.start > 0 && length > 0 && range.start >= length) {
    return error(ErrorCode::kInvalidArgument, "--start " + std::to_string(range.start) +
                                                  " s is past the end of " + path.string() + " (" +
                                                  std::to_string(length) + " s long)");
  }
  const double span = range.duration > 0
                          ? std::min(range.duration, std::max(0.0, length - range.start))
                          : std::max(0.0, length - range.start);
  if (range.start <= 0 && range.duration <= 0 && stream->nb_frames > 0) {
    info.expected_frames = stream->nb_frames;
  } else if (info.frame_rate.num > 0) {
    info.expected_frames = std::llround(span * av_q2d(info.frame_rate));
  }

  if (range.start > 0 || range.duration > 0) {
    const int64_t file_start = format->start_time != AV_NOPTS_VALUE ? format->start_time : 0;
    info.origin_us = file_start + std::llround(range.start * AV_TIME_BASE);
    if (range.duration > 0)
      info.end_us = info.origin_us + std::llround(range.duration * AV_TIME_BASE);
    reader.start_pts_ = av_rescale_q(info.origin_us, AV_TIME_BASE_Q, stream->time_base);
    if (info.end_us != INT64_MAX)
      reader.end_pts_ = av_rescale_q(info.end_us, AV_TIME_BASE_Q, stream->time_base);
    if (range.start > 0) {
      // Lands on the keyframe before the start; frames before it are decoded and dropped.
      rc = av_seek_frame(format, index, reader.start_pts_, AVSEEK_FLAG_BACKWARD);
      if (rc < 0) {
        return error(ErrorCode::kInvalidImage, "cannot seek to --start " +
                                                   std::to_string(range.start) + " s in " +
                                                   path.string() + ": " + av_error_text(rc));
      }
    }
  }
  for (unsigned i = 0; i < format->nb_streams; ++i)
    if (static_cast<int>(i) != index) format->streams[i]->discard = AVDISCARD_ALL;
  return reader;
}

Result<bool> VideoReader::feed_decoder() {
  if (flushed_) return false;
  while (true) {
    const int rc = av_read_frame(format_.get(), packet_.get());
    if (rc == AVERROR_EOF) {
      flushed_ = true;
      avcodec_send_packet(decoder_.get(), nullptr);
      return true;
    }
    if (rc < 0) {
      return error(ErrorCode::kInvalidImage, path_.string() + ": cannot read past byte offset " +
                                                 std::to_string(avio_tell(format_->pb)) +
                                                 " (after " + std::to_string(frames_read_) +
                                                 " frames): " + av_error_text(rc) +
                                                 "; the file is broken or truncated");
    }
    if (packet_->stream_index != info_.stream_index) {
      av_packet_unref(packet_.get());
      continue;
    }
    const int64_t offset = packet_->pos;
    const int sent = avcodec_send_packet(decoder_.get(), packet_.get());
    av_packet_unref(packet_.get());
    if (sent < 0 && sent != AVERROR(EAGAIN)) {
      return error(ErrorCode::kInvalidImage,
                   path_.string() + ": cannot decode the video packet at byte offset " +
                       std::to_string(offset) + ": " + av_error_text(sent) +
                       "; the file is broken or truncated");
    }
    return true;
  }
}

Status VideoReader::check_frame(const AVFrame& frame) const {
  if (frame.width != info_.width || frame.height != info_.height) {
    return error(ErrorCode::kUnsupported,
                 path_.string() + ": the frame size changes from " + std::to_string(info_.width) +
                     "x" + std::to_string(info_.height) + " to " + std::to_string(frame.width) +
                     "x" + std::to_string(frame.height) + " after " + std::to_string(frames_read_) +
                     " frames; split the video at the change and upscale each part");
  }
  return Status::ok();
}

namespace {

// The video stream's own length as the container declares it, in seconds; 0
// when it does not (Matroska keeps it in a DURATION tag, "HH:MM:SS.nnnnnnnnn").
double declared_video_seconds(const AVStream& stream) {
  if (stream.duration > 0) return static_cast<double>(stream.duration) * av_q2d(stream.time_base);
  const AVDictionaryEntry* tag = av_dict_get(stream.metadata, "DURATION", nullptr, 0);
  int h = 0, m = 0;
  double s = 0;
  if (tag != nullptr && std::sscanf(tag->value, "%d:%d:%lf", &h, &m, &s) == 3)
    return h * 3600.0 + m * 60.0 + s;
  return 0;
}

}  // namespace

// Some demuxers (Matroska) end a cut-off file quietly, as if it were whole;
// the container's own length gives it away.
Status VideoReader::check_complete() const {
  if (end_pts_ != INT64_MAX || frames_read_ == 0) return Status::ok();
  const AVStream& stream = *format_->streams[info_.stream_index];
  const double declared = declared_video_seconds(stream);
  const double frames_end = static_cast<double>(next_pts_) * av_q2d(info_.time_base) -
                            (stream.start_time != AV_NOPTS_VALUE
                                 ? static_cast<double>(stream.start_time) * av_q2d(info_.time_base)
                                 : 0.0);
  const double frame = info_.frame_rate.num > 0 ? 1 / av_q2d(info_.frame_rate) : 0.04;
  if (declared > 0 && frames_end < declared - std::max(0.5, 2 * frame)) {
    char text[160];
    std::snprintf(text, sizeof text,
                  " is truncated: its video should last %.2f s, but its frames end at %.2f s "
                  "(after %lld frames); copy or download it again",
                  declared, frames_end, static_cast<long long>(frames_read_));
    return error(ErrorCode::kInvalidImage, path_.string() + text);
  }
  return Status::ok();
}

Result<FramePtr> VideoReader::next_frame() {
  FramePtr frame = make_frame();
  while (true) {
    const int rc = avcodec_receive_frame(decoder_.get(), frame.get());
    if (rc == AVERROR_EOF) {
      RESR_RETURN_IF_ERROR(check_complete());
      return FramePtr();
    }
    if (rc == AVERROR(EAGAIN)) {
      RESR_ASSIGN_OR_RETURN(bool more, feed_decoder());
      if (!more) return FramePtr();
      continue;
    }
    if (rc < 0) {
      return error(ErrorCode::kInvalidImage,
                   path_.string() + ": cannot decode video frame " + std::to_string(frames_read_) +
                       ": " + av_error_text(rc) + "; the file is broken or truncated");
    }
    int64_t pts = frame->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE) pts = next_pts_;
    int64_t step = frame->pkt_duration;
    if (step <= 0 && info_.frame_rate.num > 0)
      step = std::max<int64_t>(1, av_rescale_q(1, av_inv_q(info_.frame_rate), info_.time_base));
    next_pts_ = pts + std::max<int64_t>(step, 1);
    if (pts < start_pts_) {
      av_frame_unref(frame.get());
      continue;
    }
    if (pts >= end_pts_) return FramePtr();
    RESR_RETURN_IF_ERROR(check_frame(*frame));
    frame->pts = pts - (start_pts_ == INT64_MIN ? 0 : start_pts_);
    ++frames_read_;
    return frame;
  }
}

}  // namespace resr
