// Recognises a lowered graph format (ncnn, ONNX) as RRDBNet or SRVGGNetCompact
// and names its weights as basicsr state dicts do, so the arch builders read
// every format the same way.
#pragma once

#include <string>

#include "model/formats/layer_graph.hpp"
#include "model/weights.hpp"
#include "resr/status.hpp"

namespace resr {

// Infers the hyper-parameters from the convolutions, builds the network they
// imply and requires the graph to be that network exactly (every layer, edge,
// residual coefficient and activation). `what` names the file in messages,
// e.g. "ncnn model 'x.param'"; `format` goes to LoadedWeights::format.
Result<LoadedWeights> recognise_layer_graph(LayerGraph graph, const std::string& what,
                                            const std::string& format);

}  // namespace resr
