// A loaded model: immutable, shareable across threads and jobs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/graph.hpp"
#include "resr/status.hpp"

namespace resr {

struct ModelInfo {
  std::string arch;    // "RRDBNet" or "SRVGGNetCompact"
  std::string format;  // "pth", "safetensors", "ncnn", "onnx"
  std::string source;  // the file it came from
  int scale = 4;
  int num_feat = 0;
  int num_block = 0;  // RRDBNet
  int num_grow = 0;   // RRDBNet
  int num_conv = 0;   // SRVGGNetCompact
  std::string activation;
  int64_t parameters = 0;
  double flops_per_pixel = 0;
};

struct Model {
  Graph graph;
  ModelInfo info;
};

struct LoadOptions {
  // SRVGGNetCompact state dicts (.pth/.safetensors) do not say whether a
  // parameter-free activation is ReLU or LeakyReLU; the user may say so.
  std::string srvgg_activation = "";  // "", "relu", "leakyrelu"
};

// Loads any supported model file, recognised by its content, not its name.
// For ncnn, either the .param or the .bin path may be given.
Result<std::shared_ptr<const Model>> load_model(const std::filesystem::path& path,
                                                const LoadOptions& options = {});

}  // namespace resr
