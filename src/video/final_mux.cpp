#include "video/final_mux.hpp"

#include <cstring>

extern "C" {
#include <libavutil/avutil.h>
}

#include "core/pending_file.hpp"
#include "video/media_input.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

Result<OutputFormatPtr> alloc_output(const fs::path& output) {
  AVFormatContext* raw = nullptr;
  const int rc = avformat_alloc_output_context2(&raw, nullptr, nullptr, output.c_str());
  if (rc < 0 || raw == nullptr) {
    return error(ErrorCode::kInvalidArgument,
                 "cannot tell which container to write from the name " + output.string() +
                     "; give the output an extension such as .mp4, .mkv, .webm or .mov");
  }
  return OutputFormatPtr(raw);
}

std::string describe(const AVStream& s, int index) {
  const char* type = av_get_media_type_string(s.codecpar->codec_type);
  return "stream #" + std::to_string(index) + " (" + (type != nullptr ? type : "unknown") + " " +
         avcodec_get_name(s.codecpar->codec_id) + ")";
}

Status copy_side_data(const AVStream& from, AVStream& to) {
  for (int i = 0; i < from.nb_side_data; ++i) {
    const AVPacketSideData& sd = from.side_data[i];
    uint8_t* data = av_stream_new_side_data(&to, sd.type, sd.size);
    if (data == nullptr) return error(ErrorCode::kResourceExhausted, "no memory for side data");
    std::memcpy(data, sd.data, sd.size);
  }
  return Status::ok();
}

// Reads the segments one after another as one stream of video packets.
class SegmentChain {
 public:
  SegmentChain(const SegmentManifest& manifest, fs::path work_dir)
      : manifest_(manifest), work_dir_(std::move(work_dir)) {}

  Status open_next() {
    current_.reset();
    if (next_ >= manifest_.segments.size()) return Status::ok();
    const fs::path path = work_dir_ / manifest_.segments[next_++].file;
    AVFormatContext* raw = nullptr;
    AVDictionary* options = nullptr;
    av_dict_set(&options, "protocol_whitelist", "file", 0);
    const int rc = avformat_open_input(&raw, ("file:" + path.string()).c_str(), nullptr, &options);
    av_dict_free(&options);
    if (rc < 0) {
      return error(ErrorCode::kIoError, "cannot read the finished segment " + path.string() + ": " +
                                            av_error_text(rc) + "; delete " + work_dir_.string() +
                                            " and run again");
    }
    current_.reset(raw);
    path_ = path;
    return Status::ok();
  }

  // The next packet, with the time base of its segment; false at the end.
  Result<bool> read(AVPacket* packet, AVRational& time_base) {
    while (true) {
      if (!current_) return false;
      const int rc = av_read_frame(current_.get(), packet);
      if (rc == AVERROR_EOF) {
        RESR_RETURN_IF_ERROR(open_next());
        continue;
      }
      if (rc < 0) {
        return error(ErrorCode::kIoError,
                     "cannot read the segment " + path_.string() + ": " + av_error_text(rc));
      }
      time_base = current_->streams[packet->stream_index]->time_base;
      return true;
    }
  }

  const AVStream* first_stream() const { return current_ ? current_->streams[0] : nullptr; }

 private:
  const SegmentManifest& manifest_;
  fs::path work_dir_;
  size_t next_ = 0;
  InputFormatPtr current_;
  fs::path path_;
};

// Attachments (fonts, cover files) are a Matroska feature; libavformat's
// codec query cannot tell, as an attachment's codec is often "none".
bool holds_attachments(const AVOutputFormat& format) {
  return std::strcmp(format.name, "matroska") == 0;
}

int64_t packet_time(const AVPacket& p) { return p.dts != AV_NOPTS_VALUE ? p.dts : p.pts; }

}  // namespace

Result<StreamPlan> plan_output_streams(const AVFormatContext& source, int video_stream,
                                       AVCodecID video_codec, const fs::path& output) {
  RESR_ASSIGN_OR_RETURN(OutputFormatPtr out, alloc_output(output));
  const AVOutputFormat* format = out->oformat;
  if (avformat_query_codec(format, video_codec, FF_COMPLIANCE_NORMAL) == 0) {
    return error(ErrorCode::kInvalidArgument,
                 std::string("a '") + format->name + "' file (" + output.string() +
                     ") cannot hold " + avcodec_get_name(video_codec) +
                     " video; choose another --codec or output extension");
  }
  StreamPlan plan;
  int next = 0;
  for (unsigned i = 0; i < source.nb_streams; ++i) {
    const AVStream& s = *source.streams[i];
    const AVMediaType type = s.codecpar->codec_type;
    int index = -1;
    if (static_cast<int>(i) == video_stream) {
      index = next++;
    } else if (type == AVMEDIA_TYPE_AUDIO || type == AVMEDIA_TYPE_SUBTITLE ||
               type == AVMEDIA_TYPE_ATTACHMENT) {
      const bool storable =
          type == AVMEDIA_TYPE_ATTACHMENT
              ? holds_attachments(*format)
              : avformat_query_codec(format, s.codecpar->codec_id, FF_COMPLIANCE_NORMAL) != 0;
      if (!storable) {
        return error(ErrorCode::kInvalidArgument,
                     describe(s, static_cast<int>(i)) + " of the input cannot be stored in a '" +
                         format->name + "' file (" + output.string() +
                         "); every audio, subtitle and attachment stream is copied untouched, "
                         "so choose a container that holds it (.mkv holds nearly everything)");
      }
      index = next++;
    } else {
      plan.notes.push_back(describe(s, static_cast<int>(i)) +
                           " is not copied: only the upscaled video and audio, subtitle and "
                           "attachment streams are");
    }
    plan.output_index.push_back(index);
  }
  return plan;
}

namespace {

Result<FinalMuxReport> mux_into(const fs::path& temp, const fs::path& input,
                                const VideoSourceInfo& video, const SegmentManifest& manifest,
                                const fs::path& work_dir, const fs::path& output) {
  RESR_ASSIGN_OR_RETURN(InputFormatPtr source, open_media_input(input));
  SegmentChain segments(manifest, work_dir);
  RESR_RETURN_IF_ERROR(segments.open_next());
  if (segments.first_stream() == nullptr) {
    return error(ErrorCode::kInvalidImage,
                 input.string() + ": no video frame in the range asked for; nothing to write");
  }
  RESR_ASSIGN_OR_RETURN(StreamPlan plan,
                        plan_output_streams(*source, video.stream_index,
                                            segments.first_stream()->codecpar->codec_id, output));

  RESR_ASSIGN_OR_RETURN(OutputFormatPtr out, alloc_output(output));
  for (unsigned i = 0; i < source->nb_streams; ++i) {
    if (plan.output_index[i] < 0) {
      source->streams[i]->discard = AVDISCARD_ALL;
      continue;
    }
    const AVStream& from = *source->streams[i];
    AVStream* to = avformat_new_stream(out.get(), nullptr);
    if (to == nullptr) return error(ErrorCode::kResourceExhausted, "no memory for a stream");
    const bool is_video = static_cast<int>(i) == video.stream_index;
    const AVStream& params = is_video ? *segments.first_stream() : from;
    int rc = avcodec_parameters_copy(to->codecpar, params.codecpar);
    if (rc < 0) return error(ErrorCode::kInternal, "stream parameters: " + av_error_text(rc));
    to->codecpar->codec_tag = 0;  // let the output container pick its own tag
    to->time_base = params.time_base;
    to->disposition = from.disposition;
    av_dict_copy(&to->metadata, from.metadata, 0);
    if (is_video) {
      to->avg_frame_rate = from.avg_frame_rate;
      to->r_frame_rate = from.r_frame_rate;
      to->sample_aspect_ratio = to->codecpar->sample_aspect_ratio;
      // Rotation (the display matrix) and HDR metadata travel as stream side data.
      RESR_RETURN_IF_ERROR(copy_side_data(from, *to));
      // Encoder tags of the source would misname the new stream.
      av_dict_set(&to->metadata, "encoder", nullptr, 0);
    }
    if (is_video) source->streams[i]->discard = AVDISCARD_ALL;
  }

  int rc = avio_open(&out->pb, temp.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) {
    return error(ErrorCode::kIoError, "cannot create " + temp.string() + ": " + av_error_text(rc));
  }
  rc = avformat_write_header(out.get(), nullptr);
  if (rc < 0) {
    return error(ErrorCode::kIoError,
                 "cannot write the header of " + output.string() + ": " + av_error_text(rc));
  }

  const bool ranged = video.origin_us != 0 || video.end_us != INT64_MAX;
  if (video.origin_us > 0) av_seek_frame(source.get(), -1, video.origin_us, AVSEEK_FLAG_BACKWARD);
  const int video_out = plan.output_index[video.stream_index];
  AVRational video_tb = out->streams[video_out]->time_base;
  PacketPtr vpkt = make_packet();
  PacketPtr opkt = make_packet();
  bool have_video = false, have_other = false, video_done = false, other_done = false;
  int64_t last_video_dts = INT64_MIN;
  FinalMuxReport report;

  auto next_video = [&]() -> Status {
    AVRational tb;
    RESR_ASSIGN_OR_RETURN(bool more, segments.read(vpkt.get(), tb));
    if (!more) {
      video_done = true;
      return Status::ok();
    }
    av_packet_rescale_ts(vpkt.get(), tb, video_tb);
    // Each segment's encoder starts its decode times a little before its first
    // frame; keep them increasing across the join.
    if (vpkt->dts != AV_NOPTS_VALUE) {
      if (vpkt->dts <= last_video_dts) vpkt->dts = last_video_dts + 1;
      last_video_dts = vpkt->dts;
    }
    vpkt->stream_index = video_out;
    vpkt->pos = -1;
    have_video = true;
    return Status::ok();
  };
  auto next_other = [&]() -> Status {
    while (true) {
      rc = av_read_frame(source.get(), opkt.get());
      if (rc == AVERROR_EOF) {
        other_done = true;
        return Status::ok();
      }
      if (rc < 0) {
        return error(ErrorCode::kInvalidImage, input.string() + ": cannot read past byte offset " +
                                                   std::to_string(avio_tell(source->pb)) + ": " +
                                                   av_error_text(rc) +
                                                   "; the file is broken or truncated");
      }
      const int from = opkt->stream_index;
      const int to =
          from < static_cast<int>(plan.output_index.size()) ? plan.output_index[from] : -1;
      if (to < 0 || from == video.stream_index) {
        av_packet_unref(opkt.get());
        continue;
      }
      const AVRational tb = source->streams[from]->time_base;
      if (ranged) {
        const int64_t t = opkt->pts != AV_NOPTS_VALUE ? opkt->pts : opkt->dts;
        const int64_t start = av_rescale_q(video.origin_us, AV_TIME_BASE_Q, tb);
        const int64_t end =
            video.end_us == INT64_MAX ? INT64_MAX : av_rescale_q(video.end_us, AV_TIME_BASE_Q, tb);
        if (t == AV_NOPTS_VALUE || t < start || t >= end) {
          av_packet_unref(opkt.get());
          continue;
        }
        if (opkt->pts != AV_NOPTS_VALUE) opkt->pts -= start;
        if (opkt->dts != AV_NOPTS_VALUE) opkt->dts -= start;
      }
      av_packet_rescale_ts(opkt.get(), tb, out->streams[to]->time_base);
      opkt->stream_index = to;
      opkt->pos = -1;
      have_other = true;
      return Status::ok();
    }
  };

  while (true) {
    if (!have_video && !video_done) RESR_RETURN_IF_ERROR(next_video());
    if (!have_other && !other_done) RESR_RETURN_IF_ERROR(next_other());
    if (!have_video && !have_other) break;
    // Two sorted streams merged by time keep the interleaving buffer small.
    const bool video_first =
        have_video &&
        (!have_other || av_compare_ts(packet_time(*vpkt), video_tb, packet_time(*opkt),
                                      out->streams[opkt->stream_index]->time_base) <= 0);
    AVPacket* packet = video_first ? vpkt.get() : opkt.get();
    (video_first ? report.video_packets : report.copied_packets)++;
    (video_first ? have_video : have_other) = false;
    rc = av_interleaved_write_frame(out.get(), packet);
    if (rc < 0) {
      return error(ErrorCode::kIoError, "cannot write " + temp.string() + ": " + av_error_text(rc) +
                                            " (is the disk full?)");
    }
  }
  rc = av_write_trailer(out.get());
  if (rc >= 0) rc = avio_closep(&out->pb);
  if (rc < 0) {
    return error(ErrorCode::kIoError, "cannot complete " + temp.string() + ": " +
                                          av_error_text(rc) + " (is the disk full?)");
  }
  return report;
}

}  // namespace

Result<FinalMuxReport> mux_final_output(const fs::path& input, const VideoSourceInfo& video,
                                        const SegmentManifest& manifest, const fs::path& work_dir,
                                        const fs::path& output) {
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<PendingFile> file, PendingFile::create_for_path(output));
  auto report = mux_into(file->temp_path(), input, video, manifest, work_dir, output);
  if (!report.is_ok()) return report;
  RESR_RETURN_IF_ERROR(file->commit());
  return report;
}

}  // namespace resr
