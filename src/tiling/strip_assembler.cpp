#include "tiling/strip_assembler.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace resr {

namespace {

// a + t * (b - a) rather than (1 - t) * a + t * b: equal inputs stay bit-exact.
float lerp(float a, float b, float t) { return a + t * (b - a); }

}  // namespace

StripAssembler::StripAssembler(const TilePlan& plan, int scale, int channels, int bit_depth)
    : plan_(plan),
      scale_(scale),
      channels_(channels),
      bit_depth_(bit_depth),
      out_width_(plan.columns.length * scale),
      column_ramp_(blend_ramp(plan.columns, scale)),
      row_ramp_(blend_ramp(plan.rows, scale)) {
  carry_.resize(static_cast<size_t>(channels) * row_ramp_.size() * out_width_);
  row_.resize(static_cast<size_t>(channels) * out_width_);
}

Span StripAssembler::strip_rows(int r) const {
  const TileAxis& rows = plan_.rows;
  Span s = rows.produced(r);
  if (r + 1 < rows.count()) s.end = rows.band_after(r).begin;
  return {s.begin * scale_, s.end * scale_};
}

Result<std::optional<OutputStrip>> StripAssembler::add_tile(const Tensor& produced) {
  const TileAxis& cols = plan_.columns;
  const TileAxis& rows = plan_.rows;
  if (next_row_ >= rows.count()) {
    return error(ErrorCode::kInternal, "strip assembler: more tiles than the plan has");
  }
  const int c = next_col_;
  const Span pc = cols.produced(c);
  const Span pr = rows.produced(next_row_);
  const int tile_h = pr.size() * scale_;
  const int tile_w = pc.size() * scale_;
  if (produced.shape != std::vector<int64_t>{channels_, tile_h, tile_w}) {
    return error(ErrorCode::kInternal, "strip assembler: tile (" + std::to_string(c) + ", " +
                                           std::to_string(next_row_) + ") has shape " +
                                           shape_to_string(produced.shape) + ", expected " +
                                           shape_to_string({channels_, tile_h, tile_w}));
  }
  if (c == 0) {
    const Span s = strip_rows(next_row_);
    strip_ = OutputStrip{s.begin, s.end, out_width_, channels_, bit_depth_, std::move(spare_)};
    strip_.bytes.resize(static_cast<size_t>(s.size()) * strip_.row_bytes());
    spare_.clear();
    const size_t band = static_cast<size_t>(channels_) * tile_h * column_ramp_.size();
    left_band_.resize(band);
    right_band_.resize(band);
  }

  const int x0 = pc.begin * scale_;
  const int band_w = static_cast<int>(column_ramp_.size());
  const bool has_left = c > 0;
  const bool has_right = c + 1 < cols.count();
  // This tile finishes columns [x0, x_end); the band after x_end waits for the next tile.
  const int x_end = has_right ? cols.band_after(c).begin * scale_ : pc.end * scale_;
  for (int yy = 0; yy < tile_h; ++yy) {
    for (int ch = 0; ch < channels_; ++ch) {
      const float* in = produced.data.data() + (static_cast<size_t>(ch) * tile_h + yy) * tile_w;
      float* out = row_.data() + static_cast<size_t>(ch) * out_width_;
      const size_t band_row = (static_cast<size_t>(ch) * tile_h + yy) * band_w;
      for (int x = x0; x < x_end; ++x) {
        const int o = x - x0;
        out[x] =
            has_left && o < band_w ? lerp(left_band_[band_row + o], in[o], column_ramp_[o]) : in[o];
      }
      if (has_right)
        std::copy(in + (x_end - x0), in + (x_end - x0) + band_w, &right_band_[band_row]);
    }
    emit_row(pr.begin * scale_ + yy, x0, x_end);
  }
  std::swap(left_band_, right_band_);

  if (++next_col_ < cols.count()) return std::optional<OutputStrip>();
  next_col_ = 0;
  ++next_row_;
  return std::optional<OutputStrip>(std::move(strip_));
}

void StripAssembler::emit_row(int y, int x_begin, int x_end) {
  const TileAxis& rows = plan_.rows;
  const int r = next_row_;
  const int band_h = static_cast<int>(row_ramp_.size());
  if (r > 0 && y < rows.band_after(r - 1).end * scale_) {
    const int o = y - rows.band_after(r - 1).begin * scale_;
    const float t = row_ramp_[o];
    for (int ch = 0; ch < channels_; ++ch) {
      const float* above = &carry_[(static_cast<size_t>(ch) * band_h + o) * out_width_];
      const float* here = &row_[static_cast<size_t>(ch) * out_width_];
      for (int x = x_begin; x < x_end; ++x) store(y, x, ch, lerp(above[x], here[x], t));
    }
  } else if (r + 1 < rows.count() && y >= rows.band_after(r).begin * scale_) {
    const int o = y - rows.band_after(r).begin * scale_;
    for (int ch = 0; ch < channels_; ++ch) {
      const float* here = &row_[static_cast<size_t>(ch) * out_width_];
      std::copy(here + x_begin, here + x_end,
                &carry_[(static_cast<size_t>(ch) * band_h + o) * out_width_ + x_begin]);
    }
  } else {
    for (int ch = 0; ch < channels_; ++ch) {
      const float* here = &row_[static_cast<size_t>(ch) * out_width_];
      for (int x = x_begin; x < x_end; ++x) store(y, x, ch, here[x]);
    }
  }
}

void StripAssembler::store(int y, int x, int c, float v) {
  const size_t index = (static_cast<size_t>(y - strip_.y_begin) * out_width_ + x) * channels_ + c;
  // Written so that NaN (a broken model) quantises to 0 instead of undefined.
  const float clamped = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
  if (bit_depth_ == 16) {
    const uint16_t q = static_cast<uint16_t>(clamped * 65535.0f + 0.5f);
    std::memcpy(&strip_.bytes[index * 2], &q, sizeof q);
  } else {
    strip_.bytes[index] = static_cast<uint8_t>(clamped * 255.0f + 0.5f);
  }
}

}  // namespace resr
