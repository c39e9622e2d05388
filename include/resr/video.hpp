// Public API: upscaling a video. A front end opens the input (VideoReader),
// plans the frames' upscale options (resr/upscale.hpp), prepares its segment
// manifest, runs the pipeline, then muxes the segments with the input's other
// streams.
#pragma once

#include "resr/upscale.hpp"
#include "video/final_mux.hpp"
#include "video/inference_benchmark.hpp"
#include "video/segment_manifest.hpp"
#include "video/video_pipeline.hpp"
#include "video/video_progress.hpp"
#include "video/video_reader.hpp"
