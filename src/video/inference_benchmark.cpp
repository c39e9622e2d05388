#include "video/inference_benchmark.hpp"

#include <chrono>

namespace resr {

Result<InferenceBenchmark> benchmark_inference(VideoReader& reader, Session& session,
                                               const FrameUpscaleSpec& spec) {
  FrameToFloatRgb to_rgb;
  FrameUpscaler upscaler(session, spec);
  InferenceBenchmark result;
  while (true) {
    RESR_ASSIGN_OR_RETURN(FramePtr frame, reader.next_frame());
    if (!frame) break;
    RESR_ASSIGN_OR_RETURN(FloatRgbFrame rgb, to_rgb.convert(*frame));
    const auto start = std::chrono::steady_clock::now();
    RESR_ASSIGN_OR_RETURN(Rgb48Frame out, upscaler.upscale(rgb));
    result.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++result.frames;
  }
  return result;
}

}  // namespace resr
