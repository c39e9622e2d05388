// What `real-esrgan-serve video` answers to inputs it must refuse: the exit
// code of README.md's table, a message that names the file and the problem,
// and no output (nor work folder) left behind.
#include <gtest/gtest.h>

#include <fstream>

#include "resr/status.hpp"
#include "video_clips.hpp"

namespace resr {
namespace {

namespace fs = std::filesystem;
using testing::make_clip;
using testing::run_binary;

int exit_code(ErrorCode code) { return exit_code_for(code); }

class VideoBadInput : public ::testing::Test {
 protected:
  // Runs the video command on `in` and checks that it failed with `code`,
  // saying `message`, and left nothing under the output's name.
  void expect_refused(const fs::path& in, ErrorCode code, const std::string& message,
                      std::vector<std::string> extra = {},
                      const std::string& out_name = "out.mp4") {
    const fs::path out = dir_.path() / out_name;
    std::vector<std::string> args = {
        "video", "-i", in, "-o", out, "-m", testing::tiny_x2_video_model(), "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_binary(args);
    EXPECT_EQ(r.exit_code, exit_code(code)) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out.string() + ".resr-parts"));
  }
  fs::path write(const std::string& name, const std::string& text) {
    const fs::path p = dir_.path() / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  fs::path clip(const std::string& name = "in.mp4") {
    const fs::path p = dir_.path() / name;
    make_clip(p, 6, {"-pix_fmt", "yuv420p", "-c:a", "aac"});
    return p;
  }

  ScratchDirectory dir_ = testing::video_scratch();
};

TEST_F(VideoBadInput, MissingFile) {
  expect_refused(dir_.path() / "nothing.mp4", ErrorCode::kNotFound, "does not exist");
}

TEST_F(VideoBadInput, NotAVideo) {
  const fs::path text = write("notes.mp4", std::string(3000, 'x'));
  expect_refused(text, ErrorCode::kInvalidImage, "is not a video file");
  expect_refused(write("empty.mkv", ""), ErrorCode::kInvalidImage, "is not a video file");
}

TEST_F(VideoBadInput, AudioOnly) {
  const fs::path wav = dir_.path() / "tone.wav";
  testing::ffmpeg({"-f", "lavfi", "-i", "sine=frequency=440", "-t", "0.2", wav});
  expect_refused(wav, ErrorCode::kInvalidImage, "has no video stream (streams: audio pcm_s16le)");
}

// A QuickTime file whose video track's fourcc names no codec libavcodec knows.
TEST_F(VideoBadInput, VideoCodecWithoutADecoder) {
  const fs::path mov = dir_.path() / "unknown.mov";
  testing::ffmpeg({"-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "0.5", "-c:v", "mpeg4",
                   "-vtag", "QQQQ", "-strict", "-2", mov});
  expect_refused(mov, ErrorCode::kUnsupported, "has no decoder for its video codec");
}

TEST_F(VideoBadInput, TruncatedFiles) {
  const fs::path whole = clip();
  const std::string bytes = testing::read_whole_file(whole);
  // MP4 writes its index last: half a file has none.
  const fs::path half = write("half.mp4", bytes.substr(0, bytes.size() / 2));
  expect_refused(half, ErrorCode::kInvalidImage, "broken or truncated");
  // Matroska's demuxer ends a cut-off file quietly; its declared length does not.
  const fs::path mkv = dir_.path() / "long.mkv";
  make_clip(mkv, 48, {"-c:a", "libopus"});
  const std::string mkv_bytes = testing::read_whole_file(mkv);
  const fs::path cut = write("cut.mkv", mkv_bytes.substr(0, mkv_bytes.size() * 6 / 10));
  expect_refused(cut, ErrorCode::kInvalidImage, "is truncated: its video should last 2.0");
}

TEST_F(VideoBadInput, PlaylistsAndConcatScriptsAreRefusedBeforeReadingAnything) {
  const fs::path target = clip("secret.mp4");
  const fs::path hls = write("list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n" +
                                              target.filename().string() + "\n#EXT-X-ENDLIST\n");
  expect_refused(hls, ErrorCode::kUnsupported, "is a 'hls' file; playlists");
  const fs::path concat =
      write("list.txt", "ffconcat version 1.0\nfile '" + target.string() + "'\n");
  expect_refused(concat, ErrorCode::kUnsupported, "is a 'concat' file");
  // The same, named like a video.
  const fs::path disguised = write("movie.mp4", testing::read_whole_file(hls));
  expect_refused(disguised, ErrorCode::kUnsupported, "'hls'");
}

TEST_F(VideoBadInput, OptionsAndOutputsThatCannotWork) {
  const fs::path in = clip();
  expect_refused(in, ErrorCode::kInvalidArgument, "--codec nosuch: not a video encoder",
                 {"--codec", "nosuch"});
  expect_refused(in, ErrorCode::kInvalidArgument, "--pix-fmt rgb24: libx264 takes",
                 {"--pix-fmt", "rgb24"});
  expect_refused(in, ErrorCode::kInvalidArgument, "cannot tell which container", {},
                 "out.unknownext");
  expect_refused(in, ErrorCode::kInvalidArgument, "cannot hold h264 video", {}, "out.webm");
  // SubRip cannot go into MP4: refused before any frame is computed.
  const fs::path srt = write("s.srt", "1\n00:00:00,000 --> 00:00:00,100\nhi\n");
  const fs::path mkv = dir_.path() / "subs.mkv";
  make_clip(mkv, 4, {"-i", srt, "-map", "0", "-map", "2", "-c:s", "srt"});
  expect_refused(mkv, ErrorCode::kInvalidArgument, "stream #1 (subtitle subrip)");
  // An existing output is kept.
  const fs::path existing = write("exists.mp4", "keep me");
  const auto r =
      run_binary({"video", "-i", in, "-o", existing, "-m", testing::tiny_x2_video_model(), "-q"});
  EXPECT_EQ(r.exit_code, exit_code(ErrorCode::kInvalidArgument)) << r.err;
  EXPECT_NE(r.err.find("exists; add --overwrite"), std::string::npos) << r.err;
  EXPECT_EQ(testing::read_whole_file(existing), "keep me");
}

TEST_F(VideoBadInput, FrameSizeLimitsAreCheckedBeforeDecoding) {
  const fs::path in = clip();
  expect_refused(in, ErrorCode::kResourceExhausted,
                 "frames of 64x48 are over --max-input-pixels 3000",
                 {"--max-input-pixels", "3000"});
  // x2 model: 128x96 = 12288 pixels.
  expect_refused(in, ErrorCode::kResourceExhausted,
                 "upscaled frames of 12288 pixels are over --max-output-pixels 12000",
                 {"--max-output-pixels", "12000"});
}

TEST_F(VideoBadInput, StartPastTheEnd) {
  expect_refused(clip(), ErrorCode::kInvalidArgument, "is past the end", {"--start", "5"});
}

}  // namespace
}  // namespace resr
