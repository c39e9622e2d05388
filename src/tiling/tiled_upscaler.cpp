#include "tiling/tiled_upscaler.hpp"

#include <algorithm>
#include <string>

#include "tiling/bicubic_upscale.hpp"

namespace resr {

namespace {

// Grey is run as RGB and brought back with the ITU-R BT.601 luma weights, as
// Real-ESRGAN does (cv2 RGB2GRAY).
float luma(float r, float g, float b) { return 0.299f * r + 0.587f * g + 0.114f * b; }

// Index into [0, n) for a position past the end: mirrored without repeating the
// edge sample (PyTorch 'reflect'), held at the edge when n is too small to mirror.
int reflect_index(int i, int n) {
  if (i < n) return i;
  const int mirrored = 2 * n - 2 - i;
  return mirrored >= 0 ? mirrored : 0;
}

int round_up(int v, int multiple) { return (v + multiple - 1) / multiple * multiple; }

}  // namespace

TiledUpscaler::TiledUpscaler(Session& session, const TiledUpscaleSpec& spec,
                             TileCallbacks callbacks)
    : session_(session),
      spec_(spec),
      callbacks_(std::move(callbacks)),
      plan_(plan_tiles(spec.width, spec.height, spec.tile, spec.pad, spec.blend,
                       spec.input_multiple)),
      assembler_(plan_, spec.scale, output_channels(), spec.bit_depth) {}

Status TiledUpscaler::advance_window(RowSource& source, Span rows) {
  const size_t row_floats = static_cast<size_t>(input_channels()) * spec_.width;
  if (rows.begin > window_rows_.begin) {
    const int drop = std::min(rows.begin, window_rows_.end) - window_rows_.begin;
    window_.erase(window_.begin(), window_.begin() + drop * row_floats);
    window_rows_.begin = rows.begin;
    window_rows_.end = std::max(window_rows_.end, rows.begin);
  }
  if (rows.end > window_rows_.end) {
    const size_t kept = window_.size();
    window_.resize(kept + (rows.end - window_rows_.end) * row_floats);
    RESR_RETURN_IF_ERROR(source.read_rows(window_rows_.end, rows.end, window_.data() + kept));
    window_rows_.end = rows.end;
  }
  return Status::ok();
}

Tensor TiledUpscaler::tile_input(Span cols, Span rows, int first_channel, bool as_rgb,
                                 int multiple) const {
  const int h = rows.size(), w = cols.size();
  const int hp = round_up(h, multiple), wp = round_up(w, multiple);
  const int out_channels = as_rgb ? 3 : 1;
  const int in_channels = input_channels();
  // A grey image (or alpha) fills the three model channels with the same values.
  const int source_channels = as_rgb && spec_.colour_channels == 3 && first_channel == 0 ? 3 : 1;
  Tensor t = Tensor::chw(out_channels, hp, wp);
  for (int c = 0; c < out_channels; ++c) {
    const int channel = first_channel + (source_channels == 3 ? c : 0);
    for (int y = 0; y < hp; ++y) {
      const int row = rows.begin + reflect_index(y, h) - window_rows_.begin;
      const float* src =
          &window_[(static_cast<size_t>(row) * in_channels + channel) * spec_.width + cols.begin];
      for (int x = 0; x < wp; ++x) t.at(c, y, x) = src[reflect_index(x, w)];
    }
  }
  return t;
}

Result<Tensor> TiledUpscaler::run_model(const Tensor& input) {
  RESR_ASSIGN_OR_RETURN(Tensor out, session_.run(input));
  const std::vector<int64_t> expected{3, input.height() * spec_.scale, input.width() * spec_.scale};
  if (out.shape != expected) {
    return error(ErrorCode::kInternal,
                 "the model returned " + shape_to_string(out.shape) + " for a tile of " +
                     shape_to_string(input.shape) + "; expected " + shape_to_string(expected) +
                     " (is the model's scale " + std::to_string(spec_.scale) + "?)");
  }
  return out;
}

Result<Tensor> TiledUpscaler::produce_tile(int col, int row) {
  const int s = spec_.scale;
  const Span in_c = plan_.columns.inputs[col], in_r = plan_.rows.inputs[row];
  const Span pc = plan_.columns.produced(col), pr = plan_.rows.produced(row);
  const int ox = (pc.begin - in_c.begin) * s, oy = (pr.begin - in_r.begin) * s;
  const int w = pc.size() * s, h = pr.size() * s;
  Tensor produced = Tensor::chw(output_channels(), h, w);

  RESR_ASSIGN_OR_RETURN(Tensor rgb,
                        run_model(tile_input(in_c, in_r, 0, true, spec_.input_multiple)));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      if (spec_.colour_channels == 3) {
        for (int c = 0; c < 3; ++c) produced.at(c, y, x) = rgb.at(c, oy + y, ox + x);
      } else {
        produced.at(0, y, x) =
            luma(rgb.at(0, oy + y, ox + x), rgb.at(1, oy + y, ox + x), rgb.at(2, oy + y, ox + x));
      }
    }
  }
  if (!spec_.has_alpha) return produced;

  const int a = spec_.colour_channels;
  Tensor alpha = tile_input(in_c, in_r, a, false, 1);
  const auto [lo, hi] = std::minmax_element(alpha.data.begin(), alpha.data.end());
  if (*lo == *hi) {
    // Constant alpha (typically fully opaque) stays exactly constant: no model
    // run, and no model noise in what should be flat.
    std::fill(produced.data.begin() + static_cast<size_t>(a) * h * w, produced.data.end(), *lo);
    return produced;
  }
  Tensor up;
  if (spec_.alpha == AlphaMode::kModel) {
    RESR_ASSIGN_OR_RETURN(Tensor grey,
                          run_model(tile_input(in_c, in_r, a, true, spec_.input_multiple)));
    up = Tensor::chw(1, grey.height(), grey.width());
    for (int64_t y = 0; y < grey.height(); ++y) {
      for (int64_t x = 0; x < grey.width(); ++x) {
        up.at(0, y, x) = luma(grey.at(0, y, x), grey.at(1, y, x), grey.at(2, y, x));
      }
    }
  } else {
    up = upscale_bicubic(alpha, s);
  }
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) produced.at(a, y, x) = up.at(0, oy + y, ox + x);
  }
  return produced;
}

Result<OutputStrip> TiledUpscaler::next_strip(RowSource& source) {
  if (finished()) return error(ErrorCode::kInternal, "tiled upscaler: no rows left");
  const int row = next_row_;
  RESR_RETURN_IF_ERROR(advance_window(source, plan_.rows.inputs[row]));
  for (int col = 0; col < plan_.columns.count(); ++col) {
    if (callbacks_.cancel != nullptr && callbacks_.cancel->load()) {
      return error(ErrorCode::kCancelled, "upscaling cancelled");
    }
    RESR_ASSIGN_OR_RETURN(Tensor produced, produce_tile(col, row));
    RESR_ASSIGN_OR_RETURN(std::optional<OutputStrip> strip, assembler_.add_tile(produced));
    ++tiles_done_;
    if (callbacks_.progress) callbacks_.progress(tiles_done_, plan_.tile_count());
    if (strip) {
      ++next_row_;
      return std::move(*strip);
    }
  }
  return error(ErrorCode::kInternal, "tiled upscaler: a row of tiles did not finish its strip");
}

}  // namespace resr
