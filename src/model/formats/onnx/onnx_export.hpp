// Writes a Graph as a standard ONNX model: input "input" {1, 3, H, W} and
// output "output", dynamic H/W unless static dims are given.
#pragma once

#include <filesystem>
#include <optional>
#include <utility>

#include "core/graph.hpp"
#include "resr/status.hpp"

namespace resr {

struct OnnxExportOptions {
  int opset = 17;
  std::optional<std::pair<int, int>> static_hw;  // {height, width}
};

Status export_onnx(const Graph& graph, const std::filesystem::path& out,
                   const OnnxExportOptions& options = {});

}  // namespace resr
