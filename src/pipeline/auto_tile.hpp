// Picks the tile size for `-t 0` from a memory budget: the largest square tile
// whose activations fit, because larger tiles waste less work on padding.
#pragma once

#include <cstdint>

#include "core/graph.hpp"

namespace resr {

inline constexpr int64_t kDefaultMemoryBudget = int64_t{1} << 30;  // 1 GiB

// Bytes of activations one input pixel costs at the widest point of the graph
// (a backend keeps about three such values alive at once).
int64_t activation_bytes_per_input_pixel(const Graph& graph);

// Tile side (input pixels, a multiple of 16, at least 32) for a budget in bytes.
int auto_tile_size(const Graph& graph, int64_t budget_bytes);

}  // namespace resr
