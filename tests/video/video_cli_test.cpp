// `real-esrgan-serve video` through the real binary on clips made by ffmpeg:
// sizes, frame counts, timestamps (constant and variable frame rate), the
// streams copied packet for packet, 10-bit, rotation, colour, ranges, codecs.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "video_clips.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::codec_names;
using testing::make_clip;
using testing::packet_hashes;
using testing::payload_hashes;
using testing::probe;
using testing::run_binary;
using testing::video_pts;

const nlohmann::json& video_stream(const nlohmann::json& probed) {
  for (const auto& s : probed["streams"])
    if (s["codec_type"] == "video") return s;
  static const nlohmann::json none;
  ADD_FAILURE() << "no video stream";
  return none;
}

double duration_of(const nlohmann::json& probed) {
  return std::stod(probed["format"]["duration"].get<std::string>());
}

TEST(VideoCli, UpscalesMp4KeepingAudioPacketsAndTimestamps) {
  ScratchDirectory dir = testing::video_scratch();
  const fs::path in = dir.path() / "in.mp4";
  const fs::path out = dir.path() / "out.mp4";
  make_clip(in, 12, {"-pix_fmt", "yuv420p", "-c:a", "aac"});
  auto r = run_binary({"video", "-i", in, "-o", out, "-m", testing::tiny_x4_video_model(),
                       "--segment-frames", "5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const nlohmann::json got = probe(out);
  const nlohmann::json src = probe(in);
  EXPECT_EQ(codec_names(got), (std::vector<std::string>{"h264", "aac"}));
  const auto& v = video_stream(got);
  EXPECT_EQ(v["width"], 256);
  EXPECT_EQ(v["height"], 192);
  EXPECT_EQ(v["pix_fmt"], "yuv420p");
  EXPECT_EQ(v["nb_read_frames"], "12");
  EXPECT_EQ(v["r_frame_rate"], "24/1");
  EXPECT_NEAR(duration_of(got), duration_of(src), 1.0 / 24);
  // Same presentation times, frame for frame, across the segment joins.
  EXPECT_EQ(video_pts(out), video_pts(in));
  const auto audio = packet_hashes(in, "a");
  EXPECT_GT(audio.size(), 10u);
  EXPECT_EQ(packet_hashes(out, "a"), audio);

  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["frames"], 12);
  EXPECT_EQ(summary["segments"], 3);
  EXPECT_EQ(summary["output_size"], (nlohmann::json{256, 192}));
  EXPECT_EQ(summary["copied_packets"], audio.size());
  // The work folder is gone; nothing else was left beside the output.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"in.mp4", "out.mp4"}));
}

TEST(VideoCli, VariableFrameRate10BitKeepsTimesSubtitlesRotationAndColour) {
  ScratchDirectory dir = testing::video_scratch();
  const fs::path srt = dir.path() / "subs.srt";
  std::ofstream(srt) << "1\n00:00:00,100 --> 00:00:00,400\nhello\n\n"
                        "2\n00:00:00,500 --> 00:00:00,800\nworld\n";
  const fs::path in = dir.path() / "in.mp4";
  const fs::path out = dir.path() / "out.mp4";
  // Two frames of every five dropped: 15 frames at irregular intervals.
  const fs::path plain = dir.path() / "plain.mp4";
  make_clip(plain, 24,
            {"-i",
             srt,
             "-map",
             "0",
             "-map",
             "1",
             "-map",
             "2",
             "-vf",
             "select='lt(mod(n\\,5)\\,3)'",
             "-vsync",
             "vfr",
             "-pix_fmt",
             "yuv420p10le",
             "-c:a",
             "aac",
             "-c:s",
             "mov_text",
             "-color_primaries",
             "bt709",
             "-color_trc",
             "bt709",
             "-colorspace",
             "bt709",
             "-color_range",
             "tv"});
  // A display matrix is written on a stream copy, not on an encode.
  testing::ffmpeg({"-i", plain, "-map", "0", "-c", "copy", "-metadata:s:v:0", "rotate=90", in});
  auto r = run_binary({"video", "-i", in, "-o", out, "-m", testing::tiny_x2_video_model(),
                       "--segment-frames", "4", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");

  const nlohmann::json got = probe(out);
  EXPECT_EQ(codec_names(got), (std::vector<std::string>{"h264", "aac", "mov_text"}));
  const auto& v = video_stream(got);
  EXPECT_EQ(v["width"], 128);
  EXPECT_EQ(v["height"], 96);
  EXPECT_EQ(v["pix_fmt"], "yuv420p10le");  // 10 bits in, 10 bits out
  EXPECT_EQ(v["nb_read_frames"], "15");
  EXPECT_EQ(v["color_primaries"], "bt709");
  EXPECT_EQ(v["color_transfer"], "bt709");
  EXPECT_EQ(v["color_space"], "bt709");
  EXPECT_EQ(v["color_range"], "tv");
  ASSERT_TRUE(v.contains("side_data_list"));
  EXPECT_EQ(v["side_data_list"][0]["rotation"], 90);
  const auto pts = video_pts(in);
  ASSERT_EQ(pts.size(), 15u);
  EXPECT_EQ(video_pts(out), pts);
  EXPECT_EQ(packet_hashes(out, "a"), packet_hashes(in, "a"));
  const auto subtitles = packet_hashes(in, "s");
  EXPECT_GE(subtitles.size(), 2u);  // mov_text adds empty packets for the gaps
  EXPECT_EQ(packet_hashes(out, "s"), subtitles);
}

TEST(VideoCli, MatroskaKeepsSrtSubtitlesOpusAudioAndAttachments) {
  ScratchDirectory dir = testing::video_scratch();
  const fs::path srt = dir.path() / "subs.srt";
  std::ofstream(srt) << "1\n00:00:00,100 --> 00:00:00,300\nhi\n";
  const fs::path font = dir.path() / "notes.txt";
  std::ofstream(font) << "attached file";
  const fs::path in = dir.path() / "in.mkv";
  const fs::path out = dir.path() / "out.mkv";
  make_clip(
      in, 10,
      {"-i", srt, "-map", "0", "-map", "1", "-map", "2", "-c:a", "libopus", "-c:s", "srt",
       "-attach", font, "-metadata:s:t", "mimetype=text/plain", "-metadata:s:a", "language=fra"});
  auto r = run_binary(
      {"video", "-i", in, "-o", out, "-m", testing::tiny_x2_video_model(), "-q", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json got = probe(out);
  EXPECT_EQ(codec_names(got), (std::vector<std::string>{"h264", "opus", "subrip", "attachment"}));
  EXPECT_EQ(got["streams"][1]["tags"]["language"], "fra");
  EXPECT_EQ(got["streams"][3]["tags"]["filename"], "notes.txt");
  EXPECT_EQ(video_stream(got)["nb_read_frames"], "10");
  EXPECT_EQ(payload_hashes(out, "a"), payload_hashes(in, "a"));
  EXPECT_EQ(payload_hashes(out, "s"), payload_hashes(in, "s"));
}

TEST(VideoCli, OutscaleResamplesToTheAskedSize) {
  ScratchDirectory dir = testing::video_scratch();
  const fs::path in = dir.path() / "in.mp4";
  make_clip(in, 4, {"-pix_fmt", "yuv420p", "-an"});
  // x4 model then Lanczos to x1.5: 96x72; x3 of 64x48 gives 192x144.
  for (const auto& [scale, w, h] : {std::tuple{"1.5", 96, 72}, std::tuple{"3", 192, 144}}) {
    const fs::path out = dir.path() / (std::string("out") + scale + ".mkv");
    auto r = run_binary(
        {"video", "-i", in, "-o", out, "-m", testing::tiny_x4_video_model(), "-s", scale, "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json got = probe(out);
    const auto& v = video_stream(got);
    EXPECT_EQ(v["width"], w) << scale;
    EXPECT_EQ(v["height"], h) << scale;
    EXPECT_EQ(v["nb_read_frames"], "4");
  }
}

// `-e/--engine`: a built engine gives the same video packets as its model.
TEST(VideoCli, EngineGivesTheSameVideoAsItsModel) {
  ScratchDirectory dir = testing::video_scratch();
  const fs::path in = dir.path() / "in.mp4";
  make_clip(in, 4, {"-pix_fmt", "yuv420p", "-an"});
  const fs::path engine = dir.path() / "tiny.engine";
  auto built = run_binary({"build", "-m", testing::tiny_x4_video_model(), "--engine", engine});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  auto from_model = run_binary(
      {"video", "-i", in, "-o", dir.path() / "m.mkv", "-m", testing::tiny_x4_video_model(), "-q"});
  ASSERT_EQ(from_model.exit_code, 0) << from_model.err;
  auto from_engine =
      run_binary({"video", "-i", in, "-o", dir.path() / "e.mkv", "-e", engine, "-q"});
  ASSERT_EQ(from_engine.exit_code, 0) << from_engine.err;
  const auto expected = testing::packet_hashes(dir.path() / "m.mkv", "v");
  EXPECT_EQ(expected.size(), 4u);
  EXPECT_EQ(testing::packet_hashes(dir.path() / "e.mkv", "v"), expected);
}

TEST(VideoCli, StartAndDurationCutEveryStreamAlike) {
  ScratchDirectory dir = testing::video_scratch();
  const fs::path in = dir.path() / "in.mp4";
  const fs::path out = dir.path() / "out.mp4";
  make_clip(in, 24, {"-pix_fmt", "yuv420p", "-c:a", "aac", "-g", "5"});
  auto r = run_binary({"video", "-i", in, "-o", out, "-m", testing::tiny_x2_video_model(),
                       "--start", "0.25", "--duration", "0.5", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json got = probe(out);
  EXPECT_EQ(video_stream(got)["nb_read_frames"], "12");
  const auto pts = video_pts(out);
  ASSERT_FALSE(pts.empty());
  EXPECT_EQ(pts.front(), 0);  // the range starts the output's timeline
  EXPECT_NEAR(duration_of(got), 0.5, 1.0 / 24 + 0.03);
}

TEST(VideoCli, CodecCrfPresetAndPixelFormat) {
  ScratchDirectory dir = testing::video_scratch();
  const fs::path in = dir.path() / "in.mp4";
  make_clip(in, 6, {"-pix_fmt", "yuv420p", "-c:a", "aac"});
  struct Case {
    std::vector<std::string> options;
    std::string file, codec, pix_fmt;
  };
  const std::vector<Case> cases = {
      {{"--codec", "libx265", "--crf", "30", "--preset", "ultrafast"},
       "h265.mp4",
       "hevc",
       "yuv420p"},
      {{"--codec", "libvpx-vp9", "--crf", "40"}, "vp9.mkv", "vp9", "yuv420p"},
      {{"--pix-fmt", "yuv444p", "--preset", "veryfast"}, "444.mkv", "h264", "yuv444p"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {
        "video", "-i", in, "-o", dir.path() / c.file, "-m", testing::tiny_x2_video_model(), "-q"};
    args.insert(args.end(), c.options.begin(), c.options.end());
    auto r = run_binary(args);
    ASSERT_EQ(r.exit_code, 0) << c.file << ": " << r.err;
    const nlohmann::json got = probe(dir.path() / c.file);
    EXPECT_EQ(video_stream(got)["codec_name"], c.codec) << c.file;
    EXPECT_EQ(video_stream(got)["pix_fmt"], c.pix_fmt) << c.file;
    EXPECT_EQ(video_stream(got)["nb_read_frames"], "6") << c.file;
    EXPECT_EQ(payload_hashes(dir.path() / c.file, "a"), payload_hashes(in, "a")) << c.file;
  }
}

}  // namespace
}  // namespace resr
