// A Graph's structure without its weights, as JSON, for an engine file's
// header: the backend's packed blobs hold the weights, the structure tells it
// which conv is which.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "core/graph.hpp"
#include "resr/status.hpp"

namespace resr {

nlohmann::json graph_structure_to_json(const Graph& graph);
// The graph with empty weight and bias vectors; kInvalidModel when a field is
// missing or of the wrong type (the backend validates the structure itself).
Result<Graph> graph_structure_from_json(const nlohmann::json& json);

// An integer field of an engine header as T (int, int64_t or uint64_t).
// Throws std::invalid_argument for anything else, floats included: get<T>()
// would convert 1e30 to int, which is undefined behaviour.
template <typename T>
T json_integer(const nlohmann::json& json);

}  // namespace resr
