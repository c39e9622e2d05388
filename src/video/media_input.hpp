// Opens a media file for demuxing under a policy: local files only, and only
// container formats that cannot make libavformat open other files or URLs
// (playlists such as hls, concat, image sequences are refused), so an
// untrusted video cannot read anything but itself.
#pragma once

#include <filesystem>
#include <string>

#include "resr/status.hpp"
#include "video/av_handles.hpp"

namespace resr {

// Demuxer names accepted, comma-separated (libavformat's format_whitelist syntax).
extern const char* const kAcceptedDemuxers;

// Opens `path` and reads its stream information.
// Errors: kNotFound (no such file), kUnsupported (a container outside the
// accepted list, named in the message), kInvalidImage (not a media file,
// broken or truncated).
Result<InputFormatPtr> open_media_input(const std::filesystem::path& path);

}  // namespace resr
