// Spatial size of every graph value for one input size.
#pragma once

#include <cstdint>
#include <vector>

#include "core/graph.hpp"
#include "resr/status.hpp"

namespace resr::cpu {

struct Extent {
  int64_t height = 0;
  int64_t width = 0;
  bool operator==(const Extent&) const = default;
};

// kInvalidArgument when the input does not divide by a pixel-unshuffle factor;
// kInvalidModel when a conv or add combines values of different sizes.
Result<std::vector<Extent>> node_extents(const std::vector<Node>& nodes, Extent input);

}  // namespace resr::cpu
