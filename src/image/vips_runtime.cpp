#include "image/vips_runtime.hpp"

#include <vips/vips.h>

#include <mutex>

namespace resr {

namespace {

// Loader class names as libvips registers them; subclasses (file, buffer,
// source variants) follow their base.
constexpr const char* kAllowedLoaders[] = {
    "VipsForeignLoadPng",  "VipsForeignLoadJpeg",  "VipsForeignLoadWebp",
    "VipsForeignLoadTiff", "VipsForeignLoadNsgif", "VipsForeignLoadHeif",
};

void discard_log(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}

}  // namespace

Status ensure_vips() {
  static std::once_flag once;
  static Status status;
  std::call_once(once, [] {
    if (VIPS_INIT("real-esrgan-serve") != 0) {
      status = error(ErrorCode::kUnavailable, "cannot start libvips: " + take_vips_error());
      return;
    }
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    for (const char* loader : kAllowedLoaders) vips_operation_block_set(loader, FALSE);
    vips_cache_set_max(0);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, discard_log, nullptr);
  });
  return status;
}

std::string take_vips_error() {
  std::string text = vips_error_buffer();
  vips_error_clear();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text.empty() ? "unknown libvips error" : text;
}

}  // namespace resr
