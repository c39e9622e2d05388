// Structural checks a backend needs before it trusts a Graph: indices, counts,
// channel arithmetic and weight sizes. Builders should never produce a graph
// that fails these; a hand-made or corrupted one gets an error, not a crash.
#pragma once

#include "core/graph.hpp"
#include "resr/status.hpp"

namespace resr {

// Where the convs' weights are: in the graph, or packed apart (an engine
// file's graph carries none; its blobs are checked when they are unpacked).
enum class ConvWeights { kInGraph, kPackedApart };

// kInvalidModel naming the first offending node.
Status validate_graph(const Graph& graph, ConvWeights weights);

}  // namespace resr
