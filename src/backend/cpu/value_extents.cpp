#include "backend/cpu/value_extents.hpp"

#include <string>

namespace resr::cpu {

namespace {

std::string extent_string(Extent e) {
  return std::to_string(e.width) + "x" + std::to_string(e.height);
}

}  // namespace

Result<std::vector<Extent>> node_extents(const std::vector<Node>& nodes, Extent input) {
  std::vector<Extent> ext(nodes.size(), input);
  for (size_t i = 1; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    const Extent in = ext[n.inputs[0]];
    for (int other : n.inputs) {
      if (ext[other] != in) {
        return error(ErrorCode::kInvalidModel,
                     "graph node " + std::to_string(i) + " combines values of sizes " +
                         extent_string(in) + " and " + extent_string(ext[other]));
      }
    }
    switch (n.kind) {
      case OpKind::kUpsampleNearest:
      case OpKind::kPixelShuffle:
        ext[i] = {in.height * n.factor, in.width * n.factor};
        break;
      case OpKind::kPixelUnshuffle:
        if (in.height % n.factor != 0 || in.width % n.factor != 0) {
          return error(ErrorCode::kInvalidArgument,
                       "input " + extent_string(input) + " gives a " + extent_string(in) +
                           " value that is not divisible by " + std::to_string(n.factor) +
                           ", which this model's pixel-unshuffle needs; pad the input to a "
                           "multiple of " +
                           std::to_string(n.factor));
        }
        ext[i] = {in.height / n.factor, in.width / n.factor};
        break;
      default:
        ext[i] = in;
        break;
    }
  }
  return ext;
}

}  // namespace resr::cpu
