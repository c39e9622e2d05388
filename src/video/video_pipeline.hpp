// Decode -> infer -> encode as three threads joined by bounded queues, so the
// slowest stage (the model) sets the pace while decoding and encoding overlap
// with it, and at most a few frames are in flight.
//
// The upscaled video is written as segments of `segment_frames` frames into
// the work directory (see segment_manifest.hpp); segments the manifest lists
// as finished are decoded but neither inferred nor encoded again.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "backend/backend.hpp"
#include "resr/status.hpp"
#include "video/frame_upscaler.hpp"
#include "video/segment_manifest.hpp"
#include "video/video_encoder.hpp"
#include "video/video_reader.hpp"

namespace resr {

struct VideoPipelineConfig {
  EncoderSettings encoder;
  EncoderStreamSpec stream;
  FrameUpscaleSpec upscale;
  std::filesystem::path work_dir;
  size_t queue_depth = 2;  // frames waiting between two stages
  const std::atomic<bool>* cancel = nullptr;
  // After each frame, on the encoding thread: frames done, of which resumed.
  std::function<void(int64_t done, int64_t resumed)> progress;
};

struct VideoPipelineReport {
  int64_t frames = 0;          // in the output, resumed ones included
  int64_t frames_resumed = 0;  // found finished from an earlier run
  int segments = 0;
  double inference_seconds = 0;  // time the model stage spent computing
};

// Updates `manifest` (and its file) as segments finish. Errors: the first
// error of any stage; kCancelled when `cancel` was set (finished segments stay).
Result<VideoPipelineReport> run_video_pipeline(VideoReader& reader, Session& session,
                                               SegmentManifest& manifest,
                                               const VideoPipelineConfig& config);

}  // namespace resr
