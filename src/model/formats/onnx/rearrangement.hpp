// How a chain of Reshape / Transpose / Unsqueeze / Squeeze moves the
// elements of an N x C x H x W tensor, tracked symbolically. Exporters spell a
// pixel (un)shuffle in many such ways (torch's view/permute/reshape, its
// unsqueeze/reshape/transpose/reshape/squeeze for F.pixel_unshuffle); this
// recognises every spelling exactly, whatever the concrete sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "model/formats/layer_graph.hpp"

namespace resr {

class Rearrangement {
 public:
  // The tensor as it is: its axes in order, unsplit.
  explicit Rearrangement(const std::vector<int64_t>& nchw);

  std::vector<int64_t> shape() const;

  // Each returns false when the operation does not apply (bad axes, sizes
  // that do not divide); the rearrangement is then unspecified.
  bool transpose(const std::vector<int64_t>& perm);
  bool reshape(const std::vector<int64_t>& shape);
  bool unsqueeze(const std::vector<int64_t>& axes);  // axes of the result
  bool squeeze(const std::vector<int64_t>& axes);    // empty: every axis of size 1

  bool is_identity() const;

  struct PixelShuffle {
    LayerKind kind;  // kPixelShuffle or kPixelUnshuffle
    int factor;
    bool block_major;
  };
  std::optional<PixelShuffle> as_pixel_shuffle() const;

 private:
  // A run of one source axis: index i in [0, size) is source index i * stride.
  struct Piece {
    int axis;
    int64_t size;
    int64_t stride;
    bool operator==(const Piece&) const = default;
  };
  using Axis = std::vector<Piece>;

  static Axis canonical(Axis axis);
  bool equals(const std::vector<Axis>& expected) const;

  std::vector<int64_t> source_;
  std::vector<Axis> axes_;
};

}  // namespace resr
