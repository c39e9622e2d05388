// `real-esrgan-serve video -i IN -o OUT [-m MODEL] [-s OUTSCALE] [--codec ...]`:
// upscales a whole video, audio, subtitles and attachments copied untouched.
#pragma once

#include <CLI/CLI.hpp>

namespace resr {

void add_video_command(CLI::App& app, int& exit_code);

}  // namespace resr
