#include "video/segment_writer.hpp"

namespace resr {

namespace {

// MP4 where the codec fits (exact timestamps in any time base), QuickTime for
// the codecs only it holds, Matroska (millisecond timestamps) for the rest.
const char* segment_container(AVCodecID codec) {
  for (const char* name : {"mp4", "mov"})
    if (avformat_query_codec(av_guess_format(name, nullptr, nullptr), codec,
                             FF_COMPLIANCE_NORMAL) == 1)
      return name;
  return "matroska";
}

}  // namespace

Result<SegmentWriter> SegmentWriter::open(const std::filesystem::path& path,
                                          const EncoderSettings& settings,
                                          const EncoderStreamSpec& spec) {
  SegmentWriter w;
  w.path_ = path;
  RESR_ASSIGN_OR_RETURN(w.encoder_, open_video_encoder(settings, spec));
  AVFormatContext* raw = nullptr;
  avformat_alloc_output_context2(&raw, nullptr, segment_container(w.encoder_->codec_id), nullptr);
  if (raw == nullptr) return error(ErrorCode::kResourceExhausted, "no memory for a segment muxer");
  w.muxer_ = OutputFormatPtr(raw);
  AVStream* stream = avformat_new_stream(raw, nullptr);
  if (stream == nullptr)
    return error(ErrorCode::kResourceExhausted, "no memory for a segment stream");
  int rc = avcodec_parameters_from_context(stream->codecpar, w.encoder_.get());
  if (rc < 0) return error(ErrorCode::kInternal, "encoder parameters: " + av_error_text(rc));
  // The QuickTime muxer keeps this time base, so timestamps survive exactly.
  stream->time_base = spec.time_base;
  stream->avg_frame_rate = spec.frame_rate;
  rc = avio_open(&raw->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) {
    return error(ErrorCode::kIoError,
                 "cannot create the segment file " + path.string() + ": " + av_error_text(rc));
  }
  // The edit list that places a segment's first frame on the timeline counts
  // in the movie time scale (default 1/1000 s): make it the stream's, so
  // timestamps come back exact.
  AVDictionary* options = nullptr;
  av_dict_set_int(&options, "movie_timescale", spec.time_base.den, 0);
  rc = avformat_write_header(raw, &options);
  av_dict_free(&options);
  if (rc < 0) {
    return error(ErrorCode::kIoError,
                 "cannot write the segment file " + path.string() + ": " + av_error_text(rc));
  }
  return w;
}

Status SegmentWriter::drain() {
  AVStream* stream = muxer_->streams[0];
  while (true) {
    int rc = avcodec_receive_packet(encoder_.get(), packet_.get());
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return Status::ok();
    if (rc < 0)
      return error(ErrorCode::kInternal, "the video encoder failed: " + av_error_text(rc));
    av_packet_rescale_ts(packet_.get(), encoder_->time_base, stream->time_base);
    packet_->stream_index = 0;
    rc = av_write_frame(muxer_.get(), packet_.get());
    av_packet_unref(packet_.get());
    if (rc < 0) {
      return error(ErrorCode::kIoError, "cannot write to " + path_.string() + ": " +
                                            av_error_text(rc) + " (is the disk full?)");
    }
  }
}

Status SegmentWriter::write(AVFrame* frame) {
  const int rc = avcodec_send_frame(encoder_.get(), frame);
  if (rc < 0)
    return error(ErrorCode::kInternal, "the video encoder refused a frame: " + av_error_text(rc));
  return drain();
}

Status SegmentWriter::finish() {
  avcodec_send_frame(encoder_.get(), nullptr);
  RESR_RETURN_IF_ERROR(drain());
  int rc = av_write_trailer(muxer_.get());
  if (rc >= 0) rc = avio_closep(&muxer_->pb);
  if (rc < 0) {
    return error(ErrorCode::kIoError, "cannot complete " + path_.string() + ": " +
                                          av_error_text(rc) + " (is the disk full?)");
  }
  return Status::ok();
}

}  // namespace resr
