// Puts tile outputs back together: cross-fades the overlap bands of a TilePlan and
// hands out finished rows of quantised samples, one strip per row of tiles.
//
// Memory is bounded by the image width, not its height: besides the strip being
// filled (quantised samples), only the band shared with the next row of tiles is
// kept in float, plus one band column between neighbouring tiles of a row.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/tensor.hpp"
#include "resr/status.hpp"
#include "tiling/tile_plan.hpp"

namespace resr {

// Finished output rows [y_begin, y_end), band-interleaved, native-endian samples of
// bit_depth bits (8: uint8_t, 16: uint16_t), values round(clamp(v, 0, 1) * max).
struct OutputStrip {
  int y_begin = 0;
  int y_end = 0;
  int width = 0;
  int channels = 0;
  int bit_depth = 8;
  std::vector<uint8_t> bytes;

  size_t row_bytes() const { return static_cast<size_t>(width) * channels * (bit_depth / 8); }
  const uint8_t* row(int y) const { return bytes.data() + (y - y_begin) * row_bytes(); }
};

class StripAssembler {
 public:
  // channels: of each tile output; bit_depth: 8 or 16.
  StripAssembler(const TilePlan& plan, int scale, int channels, int bit_depth);

  // Tiles arrive in row-major order. `produced` covers the tile's produced region
  // (TileAxis::produced of its column and row) times the scale: {channels, h, w}.
  // Returns the finished strip after the last tile of each row.
  Result<std::optional<OutputStrip>> add_tile(const Tensor& produced);

  // Output rows finished by tile row r.
  Span strip_rows(int r) const;

  // Hands back a strip's storage for a later strip: strips are large and
  // alike, and reusing one keeps the allocator from fragmenting.
  void recycle(OutputStrip&& done) { spare_ = std::move(done.bytes); }

 private:
  // Routes one horizontally blended output row of the current tile row: to the
  // strip, blended with the band carried from the row above, or into the carry.
  void emit_row(int y, int x_begin, int x_end);
  void store(int y, int x, int c, float v);

  TilePlan plan_;
  int scale_;
  int channels_;
  int bit_depth_;
  int out_width_;
  std::vector<float> column_ramp_;
  std::vector<float> row_ramp_;
  int next_col_ = 0;
  int next_row_ = 0;
  OutputStrip strip_;
  std::vector<uint8_t> spare_;
  // The band below the current tile row (unweighted values of that row's tiles),
  // {channels, 2 * rows.blend * scale, out_width}. Rows of the band above are read
  // from the same cells before rows of the band below overwrite them: within a
  // tile rows go top to bottom, and a core spans at least 2 * blend.
  std::vector<float> carry_;
  // Right band of the previous tile in this row and of the current one,
  // {channels, rows, 2 * columns.blend * scale}.
  std::vector<float> left_band_;
  std::vector<float> right_band_;
  // One blended output row, {channels, out_width}.
  std::vector<float> row_;
};

}  // namespace resr
