// Size limits that protect a process from images it cannot afford. Both are
// checked from headers and plans, before any pixel is decoded or computed.
#pragma once

#include <cstdint>

namespace resr {

struct ImageLimits {
  int64_t max_input_pixels = 100'000'000;   // width * height of an input image
  int64_t max_output_pixels = 400'000'000;  // width * height of an image to write
};

}  // namespace resr
