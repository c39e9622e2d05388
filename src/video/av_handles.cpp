#include "video/av_handles.hpp"

extern "C" {
#include <libavutil/error.h>
}

namespace resr {

std::string av_error_text(int averror) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(averror, text, sizeof text);
  return text;
}

}  // namespace resr
