// Bicubic upscaling by an integer factor, the cheap alternative to running the
// alpha channel through the model (--alpha bicubic).
#pragma once

#include "core/tensor.hpp"

namespace resr {

// {C, H, W} -> {C, H * factor, W * factor}. Keys cubic (a = -0.5, as libvips and
// Pillow), pixel-centre aligned, edges clamped; values are not clamped. A pixel
// depends on the 4 x 4 input pixels around it, so a tile with >= 2 pixels of
// context reproduces the whole-image result exactly.
Tensor upscale_bicubic(const Tensor& in, int factor);

}  // namespace resr
