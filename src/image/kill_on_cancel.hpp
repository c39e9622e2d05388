// Stops an encoding in progress when the run is cancelled: libvips computes an
// image only as the saver pulls it, so a save has no tile loop of ours to
// check the flag in; its progress signal is where it is checked instead.
#pragma once

#include <vips/vips.h>

#include <atomic>

namespace resr {

// While it lives, a sink of `image` (or of an image made from it) fails soon
// after `*cancel` is set. A null `cancel` does nothing.
class KillOnCancel {
 public:
  KillOnCancel(VipsImage* image, const std::atomic<bool>* cancel);
  ~KillOnCancel();
  KillOnCancel(const KillOnCancel&) = delete;
  KillOnCancel& operator=(const KillOnCancel&) = delete;

  bool cancelled() const { return cancel_ != nullptr && cancel_->load(); }

 private:
  VipsImage* image_;
  const std::atomic<bool>* cancel_;
  gulong handler_ = 0;
};

}  // namespace resr
