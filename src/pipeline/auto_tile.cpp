#include "pipeline/auto_tile.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace resr {

namespace {
constexpr int64_t kLiveValues = 3;  // input of a conv, its output, one residual
constexpr int kMinTile = 32;
constexpr int kMaxTile = 1024;  // beyond this the padding saving is < 1%
}  // namespace

int64_t activation_bytes_per_input_pixel(const Graph& graph) {
  std::vector<double> area(graph.nodes.size(), 1.0);
  double widest = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    if (!n.inputs.empty()) area[i] = area[n.inputs[0]];
    if (n.kind == OpKind::kUpsampleNearest || n.kind == OpKind::kPixelShuffle)
      area[i] *= n.factor * n.factor;
    if (n.kind == OpKind::kPixelUnshuffle) area[i] /= n.factor * n.factor;
    // Channels padded to 16 as blocked layouts store them.
    const int channels = (n.channels + 15) / 16 * 16;
    widest = std::max(widest, channels * area[i]);
  }
  return static_cast<int64_t>(std::ceil(widest * sizeof(float) * kLiveValues));
}

int auto_tile_size(const Graph& graph, int64_t budget_bytes) {
  const double pixels = static_cast<double>(budget_bytes) /
                        static_cast<double>(activation_bytes_per_input_pixel(graph));
  const int side = static_cast<int>(std::sqrt(pixels)) / 16 * 16;
  return std::clamp(side, kMinTile, kMaxTile);
}

}  // namespace resr
