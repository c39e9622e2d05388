#include "video/frame_upscaler.hpp"

#include <algorithm>
#include <cstring>

namespace resr {

namespace {

class FloatFrameRows : public RowSource {
 public:
  explicit FloatFrameRows(const FloatRgbFrame& frame) : frame_(frame) {}
  Status read_rows(int y_begin, int y_end, float* dst) override {
    const size_t row = static_cast<size_t>(frame_.width) * 3;
    std::copy(frame_.samples.begin() + y_begin * row, frame_.samples.begin() + y_end * row, dst);
    return Status::ok();
  }

 private:
  const FloatRgbFrame& frame_;
};

}  // namespace

Result<Rgb48Frame> FrameUpscaler::upscale(const FloatRgbFrame& frame) {
  TiledUpscaleSpec spec;
  spec.width = frame.width;
  spec.height = frame.height;
  spec.scale = spec_.scale;
  spec.input_multiple = spec_.input_multiple;
  spec.tile = spec_.tile;
  spec.pad = spec_.tile_pad;
  spec.bit_depth = 16;
  TiledUpscaler upscaler(session_, spec);
  FloatFrameRows rows(frame);

  Rgb48Frame out;
  out.width = frame.width * spec_.scale;
  out.height = frame.height * spec_.scale;
  const size_t row_bytes = static_cast<size_t>(out.width) * 6;
  while (!upscaler.finished()) {
    RESR_ASSIGN_OR_RETURN(OutputStrip strip, upscaler.next_strip(rows));
    if (strip.y_begin == 0 && strip.y_end == out.height) {
      out.bytes = std::move(strip.bytes);  // the whole frame in one strip: no copy
      break;
    }
    out.bytes.resize(row_bytes * out.height);
    std::memcpy(out.bytes.data() + strip.y_begin * row_bytes, strip.bytes.data(),
                (strip.y_end - strip.y_begin) * row_bytes);
    upscaler.recycle(std::move(strip));
  }
  return out;
}

}  // namespace resr
