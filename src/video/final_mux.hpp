// The last step of a video run: joins the finished segments into the output
// file and copies every audio, subtitle and attachment stream of the source
// packet by packet (timestamps shifted by the range's start, nothing
// re-encoded). Written under a temporary name and renamed, so the output
// exists only when it is complete.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "resr/status.hpp"
#include "video/av_handles.hpp"
#include "video/segment_manifest.hpp"
#include "video/video_reader.hpp"

namespace resr {

// What happens to each source stream in the output.
struct StreamPlan {
  std::vector<int> output_index;   // per source stream; -1: not in the output
  std::vector<std::string> notes;  // streams left out, and why
};

// The container written for `output` (from its extension) and the fate of
// each source stream. Errors: kInvalidArgument (an extension libavformat
// cannot write, or a stream the container cannot hold, e.g. SubRip in .mp4 or
// H.264 in .webm: the message names the stream and what to do).
Result<StreamPlan> plan_output_streams(const AVFormatContext& source, int video_stream,
                                       AVCodecID video_codec, const std::filesystem::path& output);

struct FinalMuxReport {
  int64_t video_packets = 0;
  int64_t copied_packets = 0;  // audio, subtitles, attachments
};

Result<FinalMuxReport> mux_final_output(const std::filesystem::path& input,
                                        const VideoSourceInfo& video,
                                        const SegmentManifest& manifest,
                                        const std::filesystem::path& work_dir,
                                        const std::filesystem::path& output);

}  // namespace resr
