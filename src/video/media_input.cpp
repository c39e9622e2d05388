#include "video/media_input.hpp"

#include <fstream>
#include <vector>

extern "C" {
#include <libavutil/avstring.h>
#include <libavutil/dict.h>
}

namespace resr {

namespace fs = std::filesystem;

// Single-file containers and elementary streams. Left out on purpose: hls,
// dash, concat, ffconcat, image2 (file patterns), tee, and anything else whose
// header can name further files to open.
const char* const kAcceptedDemuxers =
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,ogg,nut,asf,mxf,ivf,"
    "h264,hevc,m4v,mpegvideo,yuv4mpegpipe,gif,wav,mp3,aac,flac";

namespace {

// How many bytes libavformat's prober looks at, at most.
constexpr size_t kProbeBytes = 1 << 20;

bool accepted(const AVInputFormat* format) {
  return av_match_list(format->name, kAcceptedDemuxers, ',') > 0;
}

// Names the container from the file's first bytes, without letting
// libavformat open anything.
Result<const AVInputFormat*> probe_container(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return error(ErrorCode::kIoError, "cannot read " + path.string() + ": check its permissions");
  }
  // The prober reads AVPROBE_PADDING_SIZE zero bytes past the data.
  std::vector<unsigned char> head(kProbeBytes + AVPROBE_PADDING_SIZE, 0);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(kProbeBytes));
  // By content alone: a name ending in .mp4 must not make a text file a video.
  AVProbeData probe{};
  probe.filename = "";
  probe.buf = head.data();
  probe.buf_size = static_cast<int>(in.gcount());
  int score = 0;
  const AVInputFormat* format = av_probe_input_format3(&probe, 1, &score);
  if (format == nullptr || probe.buf_size == 0) {
    return error(ErrorCode::kInvalidImage,
                 path.string() + " is not a video file libavformat recognises (" +
                     std::to_string(probe.buf_size) +
                     " bytes); give a video such as .mp4, .mkv, .webm, .mov");
  }
  return format;
}

}  // namespace

Result<InputFormatPtr> open_media_input(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return error(ErrorCode::kNotFound, "input video " + path.string() + " does not exist");
  }
  if (!fs::is_regular_file(path, ec)) {
    return error(ErrorCode::kInvalidArgument,
                 "input " + path.string() + " is not a regular file; give a video file");
  }
  RESR_ASSIGN_OR_RETURN(const AVInputFormat* format, probe_container(path));
  if (!accepted(format)) {
    return error(ErrorCode::kUnsupported,
                 path.string() + " is a '" + format->name +
                     "' file; playlists and formats that can open other files are refused "
                     "(accepted: " +
                     kAcceptedDemuxers + "); remux it to .mp4 or .mkv first");
  }

  AVDictionary* options = nullptr;
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  av_dict_set(&options, "format_whitelist", kAcceptedDemuxers, 0);
  AVFormatContext* raw = nullptr;
  // "file:" keeps a name with a colon from being read as a protocol.
  const std::string url = "file:" + fs::absolute(path).string();
  int rc = avformat_open_input(&raw, url.c_str(), format, &options);
  av_dict_free(&options);
  if (rc < 0) {
    return error(ErrorCode::kInvalidImage, "cannot open " + path.string() + " as '" + format->name +
                                               "': " + av_error_text(rc) +
                                               "; the file is broken or truncated");
  }
  InputFormatPtr context(raw);
  rc = avformat_find_stream_info(context.get(), nullptr);
  if (rc < 0) {
    return error(ErrorCode::kInvalidImage, "cannot read the streams of " + path.string() + ": " +
                                               av_error_text(rc) +
                                               "; the file is broken or truncated");
  }
  return context;
}

}  // namespace resr
