// Owning pointers for libvips (GObject) handles: VipsImage, VipsSource, VipsTarget.
#pragma once

#include <vips/vips.h>

#include <memory>

namespace resr {

struct GObjectUnref {
  void operator()(void* object) const {
    if (object != nullptr) g_object_unref(object);
  }
};

template <typename T>
using VipsPtr = std::unique_ptr<T, GObjectUnref>;
using VipsImagePtr = VipsPtr<VipsImage>;

}  // namespace resr
