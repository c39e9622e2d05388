// The size an image comes out at: the one rule every front end and the
// pipeline share (the model's scale, or round(side * outscale), at least 1).
#pragma once

namespace resr {

struct PixelSize {
  int width = 0;
  int height = 0;
};

// outscale <= 0: side * model_scale; else max(1, round(side * outscale)).
int upscaled_side(int side, int model_scale, double outscale);
PixelSize output_size(int width, int height, int model_scale, double outscale);

}  // namespace resr
