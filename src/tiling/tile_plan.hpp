// How an image is cut into tiles for a model whose receptive field is wider than
// a tile can afford, and how the overlapping tile outputs are put back together.
//
// The plan is separable: one TileAxis for columns, one for rows; a tile is a
// (column, row) pair. Along an axis of length N:
//  - cores partition [0, N) into pieces of at most `tile` pixels (balanced, so no
//    sliver tile at the end);
//  - each tile reads its core plus up to `pad` pixels of real neighbouring context
//    on both sides (clipped at the image edge, never mirrored: the model sees what
//    the whole-image run would see);
//  - at each boundary between two cores, a band of `blend` pixels on either side is
//    produced by both tiles and cross-faded linearly, so what remains of the
//    receptive-field error changes gradually instead of as a step (a seam).
// All coordinates are input pixels; the output is the same plan times the scale.
#pragma once

#include <vector>

namespace resr {

// realesrgan-x4plus at tiles of 64 stays >= 46 dB PSNR from the whole-image run
// on every photo measured with these (the official pad 10, hard-pasted: 36-46 dB
// and visible seams); measurements in docs/image-pipeline.md.
inline constexpr int kDefaultTilePad = 32;
// Half-width of the cross-fade at each tile boundary.
inline constexpr int kDefaultTileBlend = 8;

struct Span {
  int begin = 0;
  int end = 0;  // exclusive
  int size() const { return end - begin; }
};

struct TileAxis {
  std::vector<Span> cores;   // partition of [0, length)
  std::vector<Span> inputs;  // what each tile reads: core +- pad, clipped
  int length = 0;
  int blend = 0;  // effective half-width of each cross-fade band (<= pad, <= core / 2)

  int count() const { return static_cast<int>(cores.size()); }
  // What tile k contributes to: its core plus the blend bands at its inner edges.
  Span produced(int k) const;
  // The band shared by tiles k and k + 1: [core_end - blend, core_end + blend).
  Span band_after(int k) const;
};

// Plans one axis. tile <= 0 or tile >= length gives a single tile (whole axis).
// With align > 1, core boundaries and tile input starts fall on multiples of
// align (the pad is rounded up to one): a model that pixel-unshuffles by `align`
// then groups the same pixels in a tile as in the whole image.
TileAxis plan_tile_axis(int length, int tile, int pad, int blend, int align = 1);

struct TilePlan {
  TileAxis columns;
  TileAxis rows;
  int tile_count() const { return columns.count() * rows.count(); }
};

TilePlan plan_tiles(int width, int height, int tile, int pad, int blend, int align = 1);

// Weight of the later tile at each output pixel of a band (2 * blend * scale
// pixels): rises linearly from 0 to 1, sampled at pixel centres, so the two
// weights of a pixel sum to one and the ramp is symmetric.
std::vector<float> blend_ramp(const TileAxis& axis, int scale);

}  // namespace resr
