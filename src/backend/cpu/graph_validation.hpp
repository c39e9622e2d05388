// Structural checks a backend needs before it trusts a Graph: indices, counts,
// channel arithmetic and weight sizes. Builders should never produce a graph
// that fails these; a hand-made or corrupted one gets an error, not a crash.
#pragma once

#include "core/graph.hpp"
#include "resr/status.hpp"

namespace resr::cpu {

// kInvalidModel naming the first offending node.
Status validate_graph(const Graph& graph);

}  // namespace resr::cpu
