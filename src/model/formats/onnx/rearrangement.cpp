#include "model/formats/onnx/rearrangement.hpp"

#include <algorithm>
#include <deque>

namespace resr {

namespace {

constexpr int64_t kMaxFactor = 16;
constexpr size_t kMaxRank = 16;

}  // namespace

Rearrangement::Rearrangement(const std::vector<int64_t>& nchw) : source_(nchw) {
  for (size_t a = 0; a < nchw.size(); ++a) {
    axes_.push_back(canonical({{static_cast<int>(a), nchw[a], 1}}));
  }
}

// Drops pieces of size 1 and merges neighbours that continue each other.
Rearrangement::Axis Rearrangement::canonical(Axis axis) {
  Axis out;
  for (const Piece& p : axis) {
    if (p.size == 1) continue;
    if (!out.empty() && out.back().axis == p.axis && out.back().stride == p.stride * p.size) {
      out.back() = {p.axis, out.back().size * p.size, p.stride};
    } else {
      out.push_back(p);
    }
  }
  return out;
}

std::vector<int64_t> Rearrangement::shape() const {
  std::vector<int64_t> s;
  for (const Axis& a : axes_) {
    int64_t n = 1;
    for (const Piece& p : a) n *= p.size;
    s.push_back(n);
  }
  return s;
}

bool Rearrangement::transpose(const std::vector<int64_t>& perm) {
  if (perm.size() != axes_.size()) return false;
  std::vector<bool> seen(perm.size(), false);
  std::vector<Axis> out;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(perm.size()) || seen[p]) return false;
    seen[p] = true;
    out.push_back(axes_[p]);
  }
  axes_ = std::move(out);
  return true;
}

bool Rearrangement::reshape(const std::vector<int64_t>& shape) {
  if (shape.size() > kMaxRank) return false;
  // Row-major order: the pieces of all axes in sequence, regrouped.
  std::deque<Piece> pieces;
  for (const Axis& a : axes_) pieces.insert(pieces.end(), a.begin(), a.end());
  std::vector<Axis> out;
  for (int64_t want : shape) {
    if (want < 1) return false;
    Axis axis;
    int64_t have = 1;
    while (have < want) {
      if (pieces.empty()) return false;
      Piece p = pieces.front();
      pieces.pop_front();
      const int64_t need = want / have;
      if (want % have != 0) return false;
      if (p.size > need) {
        // Only the outer part of this piece fits: split it.
        if (p.size % need != 0) return false;
        const int64_t inner = p.size / need;
        pieces.push_front({p.axis, inner, p.stride});
        p = {p.axis, need, p.stride * inner};
      }
      axis.push_back(p);
      have *= p.size;
    }
    if (have != want) return false;
    out.push_back(canonical(std::move(axis)));
  }
  if (!pieces.empty()) return false;
  axes_ = std::move(out);
  return true;
}

bool Rearrangement::unsqueeze(const std::vector<int64_t>& axes) {
  const size_t rank = axes_.size() + axes.size();
  if (rank > kMaxRank) return false;
  std::vector<bool> inserted(rank, false);
  for (int64_t a : axes) {
    const int64_t at = a < 0 ? a + static_cast<int64_t>(rank) : a;
    if (at < 0 || at >= static_cast<int64_t>(rank) || inserted[at]) return false;
    inserted[at] = true;
  }
  std::vector<Axis> out;
  size_t next = 0;
  for (size_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? Axis{} : axes_[next++]);
  axes_ = std::move(out);
  return true;
}

bool Rearrangement::squeeze(const std::vector<int64_t>& axes) {
  const int64_t rank = static_cast<int64_t>(axes_.size());
  std::vector<bool> drop(axes_.size(), false);
  for (size_t i = 0; i < axes_.size(); ++i) drop[i] = axes.empty() && axes_[i].empty();
  for (int64_t a : axes) {
    const int64_t at = a < 0 ? a + rank : a;
    if (at < 0 || at >= rank || !axes_[at].empty()) return false;
    drop[at] = true;
  }
  std::vector<Axis> out;
  for (size_t i = 0; i < axes_.size(); ++i) {
    if (!drop[i]) out.push_back(axes_[i]);
  }
  axes_ = std::move(out);
  return true;
}

bool Rearrangement::equals(const std::vector<Axis>& expected) const {
  if (expected.size() != axes_.size()) return false;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (canonical(expected[i]) != axes_[i]) return false;
  }
  return true;
}

bool Rearrangement::is_identity() const { return equals(Rearrangement(source_).axes_); }

std::optional<Rearrangement::PixelShuffle> Rearrangement::as_pixel_shuffle() const {
  if (source_.size() != 4) return std::nullopt;
  const int64_t n = source_[0], c = source_[1], h = source_[2], w = source_[3];
  const Axis batch = {{0, n, 1}};
  for (int64_t s = 2; s <= kMaxFactor; ++s) {
    if (h % s == 0 && w % s == 0) {
      // Unshuffle: output channel (c, i, j) reads pixel (i, j) of block (y, x).
      const Axis rows = {{2, h / s, s}}, cols = {{3, w / s, s}};
      const Piece ch = {1, c, 1}, i = {2, s, 1}, j = {3, s, 1};
      if (equals({batch, {ch, i, j}, rows, cols})) {
        return PixelShuffle{LayerKind::kPixelUnshuffle, static_cast<int>(s), false};
      }
      if (equals({batch, {i, j, ch}, rows, cols})) {
        return PixelShuffle{LayerKind::kPixelUnshuffle, static_cast<int>(s), true};
      }
    }
    if (c % (s * s) == 0) {
      // Shuffle: input channel holding output channel k at block offset (i, j).
      const int64_t k = c / (s * s);
      if (equals({batch, {{1, k, s * s}}, {{2, h, 1}, {1, s, s}}, {{3, w, 1}, {1, s, 1}}})) {
        return PixelShuffle{LayerKind::kPixelShuffle, static_cast<int>(s), false};
      }
      if (equals({batch, {{1, k, 1}}, {{2, h, 1}, {1, s, s * k}}, {{3, w, 1}, {1, s, k}}})) {
        return PixelShuffle{LayerKind::kPixelShuffle, static_cast<int>(s), true};
      }
    }
  }
  return std::nullopt;
}

}  // namespace resr
