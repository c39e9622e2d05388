#include "image/kill_on_cancel.hpp"

namespace resr {

namespace {

void on_eval(VipsImage* image, VipsProgress*, void* data) {
  if (static_cast<const std::atomic<bool>*>(data)->load()) vips_image_set_kill(image, TRUE);
}

}  // namespace

KillOnCancel::KillOnCancel(VipsImage* image, const std::atomic<bool>* cancel)
    : image_(image), cancel_(cancel) {
  if (cancel_ == nullptr) return;
  vips_image_set_progress(image_, TRUE);
  handler_ = g_signal_connect(image_, "eval", G_CALLBACK(on_eval),
                              const_cast<std::atomic<bool>*>(cancel_));
}

KillOnCancel::~KillOnCancel() {
  if (handler_ == 0) return;
  g_signal_handler_disconnect(image_, handler_);
  vips_image_set_progress(image_, FALSE);
  vips_image_set_kill(image_, FALSE);
}

}  // namespace resr
