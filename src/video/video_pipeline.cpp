#include "video/video_pipeline.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/pending_file.hpp"
#include "video/bounded_queue.hpp"
#include "video/segment_writer.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

struct DecodedFrame {
  int64_t index = 0;
  int64_t pts = 0;
  FloatRgbFrame rgb;
};

struct UpscaledFrame {
  int64_t index = 0;
  int64_t pts = 0;
  Rgb48Frame rgb;
};

// The first error of any stage; setting it stops every stage.
class FirstError {
 public:
  void set(Status s) {
    std::lock_guard lock(mutex_);
    if (status_.is_ok()) status_ = std::move(s);
  }
  Status get() const {
    std::lock_guard lock(mutex_);
    return status_;
  }

 private:
  mutable std::mutex mutex_;
  Status status_;
};

// The encoding side: one SegmentWriter at a time, each renamed into place and
// recorded in the manifest once its last frame is written.
class SegmentSink {
 public:
  SegmentSink(const VideoPipelineConfig& config, SegmentManifest& manifest)
      : config_(config), manifest_(manifest), to_frame_(config.stream.frame) {}

  Status add(const UpscaledFrame& frame) {
    const int segment = static_cast<int>(frame.index / manifest_.segment_frames);
    if (writer_ && segment != segment_) RESR_RETURN_IF_ERROR(close_segment());
    if (!writer_) {
      segment_ = segment;
      first_frame_ = frame.index;
      frames_ = 0;
      RESR_ASSIGN_OR_RETURN(segment_file_, PendingFile::create_for_path(
                                               config_.work_dir / segment_file_name(segment_)));
      RESR_ASSIGN_OR_RETURN(SegmentWriter w, SegmentWriter::open(segment_file_->temp_path(),
                                                                 config_.encoder, config_.stream));
      writer_.emplace(std::move(w));
    }
    RESR_ASSIGN_OR_RETURN(FramePtr out, to_frame_.convert(frame.rgb));
    out->pts = frame.pts;
    RESR_RETURN_IF_ERROR(writer_->write(out.get()));
    ++frames_;
    return Status::ok();
  }

  // Completes the segment being written (the end of the video).
  Status close_segment() {
    if (!writer_) return Status::ok();
    RESR_RETURN_IF_ERROR(writer_->finish());
    writer_.reset();
    const std::string name = segment_file_name(segment_);
    RESR_RETURN_IF_ERROR(segment_file_->commit());
    segment_file_.reset();
    manifest_.segments.push_back({segment_, first_frame_, frames_, name});
    ++segments_written_;
    return write_manifest(config_.work_dir, manifest_);
  }

  int segments_written() const { return segments_written_; }

 private:
  const VideoPipelineConfig& config_;
  SegmentManifest& manifest_;
  Rgb48ToEncoderFrame to_frame_;
  std::optional<SegmentWriter> writer_;
  std::unique_ptr<PendingFile> segment_file_;  // the segment writer_ writes
  int segment_ = -1;
  int64_t first_frame_ = 0;
  int64_t frames_ = 0;
  int segments_written_ = 0;
};

}  // namespace

Result<VideoPipelineReport> run_video_pipeline(VideoReader& reader, Session& session,
                                               SegmentManifest& manifest,
                                               const VideoPipelineConfig& config) {
  std::set<int> finished;
  for (const SegmentRecord& s : manifest.segments) finished.insert(s.index);
  BoundedQueue<DecodedFrame> decoded(config.queue_depth);
  BoundedQueue<UpscaledFrame> upscaled(config.queue_depth);
  FirstError first_error;
  auto fail = [&](Status s) {
    first_error.set(std::move(s));
    decoded.abort();
    upscaled.abort();
  };
  std::atomic<int64_t> resumed{0};
  std::atomic<int64_t> total{0};
  double inference_seconds = 0;

  std::thread decode_thread([&] {
    FrameToFloatRgb to_rgb;
    while (true) {
      if (config.cancel != nullptr && config.cancel->load()) {
        fail(error(ErrorCode::kCancelled, "interrupted"));
        return;
      }
      auto frame = reader.next_frame();
      if (!frame.is_ok()) return fail(frame.status());
      if (!*frame) break;
      const int64_t index = reader.frames_read() - 1;
      ++total;
      if (finished.count(static_cast<int>(index / manifest.segment_frames)) != 0) {
        ++resumed;
        continue;
      }
      auto rgb = to_rgb.convert(**frame);
      if (!rgb.is_ok()) return fail(rgb.status());
      if (!decoded.push({index, (*frame)->pts, std::move(rgb).value()})) return;
    }
    decoded.close();
  });

  std::thread infer_thread([&] {
    FrameUpscaler upscaler(session, config.upscale);
    while (std::optional<DecodedFrame> in = decoded.pop()) {
      const auto start = std::chrono::steady_clock::now();
      auto out = upscaler.upscale(in->rgb);
      inference_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!out.is_ok()) return fail(out.status());
      if (!upscaled.push({in->index, in->pts, std::move(out).value()})) return;
    }
    upscaled.close();
  });

  SegmentSink sink(config, manifest);
  int64_t encoded = 0;
  while (std::optional<UpscaledFrame> frame = upscaled.pop()) {
    Status s = sink.add(*frame);
    if (!s.is_ok()) {
      fail(std::move(s));
      break;
    }
    ++encoded;
    if (config.progress) config.progress(encoded + resumed.load(), resumed.load());
  }
  decode_thread.join();
  infer_thread.join();
  RESR_RETURN_IF_ERROR(first_error.get());
  RESR_RETURN_IF_ERROR(sink.close_segment());

  VideoPipelineReport report;
  report.frames = total.load();
  report.frames_resumed = resumed.load();
  report.segments = static_cast<int>(manifest.segments.size());
  report.inference_seconds = inference_seconds;
  if (config.progress) config.progress(report.frames, report.frames_resumed);
  return report;
}

}  // namespace resr
