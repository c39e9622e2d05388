// The model stage alone on the frames of a video: decode and convert each
// frame untimed, time only the upscale. The reference the pipeline's
// end-to-end speed is compared with (bench/video_bench.sh).
#pragma once

#include <cstdint>

#include "backend/backend.hpp"
#include "resr/status.hpp"
#include "video/frame_upscaler.hpp"
#include "video/video_reader.hpp"

namespace resr {

struct InferenceBenchmark {
  int64_t frames = 0;
  double seconds = 0;  // in the model stage only
};

Result<InferenceBenchmark> benchmark_inference(VideoReader& reader, Session& session,
                                               const FrameUpscaleSpec& spec);

}  // namespace resr
