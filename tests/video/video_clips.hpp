// Shared by the video tests: short clips made with the ffmpeg CLI at test
// time, ffprobe's view of a file, and checksums of a stream's packets.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/scratch_directory.hpp"
#include "support/run_binary.hpp"

namespace resr::testing {

inline std::string golden_model(const std::string& name) {
  return (std::filesystem::path(RESR_TEST_DATA) / "golden" / name).string();
}
// Tiny SRVGGNetCompact models: a frame of 64x48 takes milliseconds.
inline std::string tiny_x4_video_model() { return golden_model("srvgg_prelu_x4.pth"); }
inline std::string tiny_x2_video_model() { return golden_model("srvgg_relu_x2.fp32.param"); }

inline ScratchDirectory video_scratch() {
  auto dir = ScratchDirectory::create("resr-video-test");
  EXPECT_TRUE(dir.is_ok());
  return std::move(dir).value();
}

// `ffmpeg -y -v error ARGS...`; fails the test when ffmpeg does.
inline void ffmpeg(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"-nostdin", "-y", "-v", "error"};
  all.insert(all.end(), args.begin(), args.end());
  const CommandResult r = run_program(FFMPEG_PROGRAM, all);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// A clip of testsrc2 plus a 440 Hz sine: `frames` frames at 24 fps, 64x48.
// extra: more inputs (first) and output options (codec, pixel format, filters, maps).
inline void make_clip(const std::filesystem::path& out, int frames,
                      const std::vector<std::string>& extra = {}) {
  const std::string seconds = std::to_string(frames / 24.0);
  std::vector<std::string> args = {"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24",
                                   "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"};
  // After any further inputs `extra` names, so these apply to the output.
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), {"-t", seconds, "-c:v", "libx264", "-preset", "ultrafast"});
  args.push_back(out.string());
  ffmpeg(args);
}

// ffprobe's -show_streams -show_format (and -count_frames) as JSON.
inline nlohmann::json probe(const std::filesystem::path& file) {
  const CommandResult r =
      run_program(FFPROBE_PROGRAM, {"-v", "error", "-count_frames", "-show_streams", "-show_format",
                                    "-of", "json", file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

// Each stream's codec name, or its type when it has none (attachments).
inline std::vector<std::string> codec_names(const nlohmann::json& probed) {
  std::vector<std::string> names;
  for (const auto& s : probed["streams"])
    names.push_back(s.value("codec_name", s["codec_type"].get<std::string>()));
  return names;
}

// The packets of one stream (e.g. "a", "s"), copied untouched, as ffmpeg's
// framemd5 lines: timestamps, durations, sizes and an MD5 of each packet.
inline std::vector<std::string> packet_hashes(const std::filesystem::path& file,
                                              const std::string& stream) {
  const CommandResult r =
      run_program(FFMPEG_PROGRAM, {"-nostdin", "-v", "error", "-i", file.string(), "-map",
                                   "0:" + stream, "-c", "copy", "-f", "framemd5", "-"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < r.out.size()) {
    size_t end = r.out.find('\n', begin);
    if (end == std::string::npos) end = r.out.size();
    const std::string line = r.out.substr(begin, end - begin);
    if (!line.empty() && line[0] != '#') lines.push_back(line);
    begin = end + 1;
  }
  return lines;
}

// Only the payload MD5s (last column) of packet_hashes: for containers that
// re-time streams on writing (Matroska shifts by the codec delay, as ffmpeg
// -c copy does), where only the bytes can be compared exactly.
inline std::vector<std::string> payload_hashes(const std::filesystem::path& file,
                                               const std::string& stream) {
  std::vector<std::string> hashes;
  for (const std::string& line : packet_hashes(file, stream)) {
    // stream, dts, pts, duration, size, hash[, side data...]
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 6; ++i) std::getline(fields, field, ',');
    hashes.push_back(field);
  }
  return hashes;
}

// Presentation timestamps of the video packets, sorted.
inline std::vector<int64_t> video_pts(const std::filesystem::path& file) {
  const CommandResult r =
      run_program(FFPROBE_PROGRAM, {"-v", "error", "-select_streams", "v", "-show_entries",
                                    "packet=pts", "-of", "csv=p=0", file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<int64_t> pts;
  size_t begin = 0;
  while (begin < r.out.size()) {
    size_t end = r.out.find('\n', begin);
    if (end == std::string::npos) end = r.out.size();
    if (end > begin) pts.push_back(std::stoll(r.out.substr(begin, end - begin)));
    begin = end + 1;
  }
  std::sort(pts.begin(), pts.end());
  return pts;
}

}  // namespace resr::testing
