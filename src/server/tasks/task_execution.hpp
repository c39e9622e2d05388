// Runs one task: opens the stored input, upscales it with the model (or
// Lanczos alone when asked, or as the fallback when the model fails) and
// writes the result into the results folder.
#pragma once

#include <filesystem>

#include "resr/upscale.hpp"
#include "server/tasks/model_runtime.hpp"
#include "server/tasks/task.hpp"

namespace resr {

struct ExecutionSettings {
  std::filesystem::path results_dir;
  ImageLimits limits;
  int tile_size = 0;  // the server's: 0 = the engine's profile, else sized from tile_memory_bytes
  int64_t tile_memory_bytes = 0;
};

// On success fills task.output_path, method, sizes and output_bytes. A model
// failure with task.params.fallback set is recorded in task.error while the
// task still succeeds with method "lanczos-fallback".
Status execute_task(const ModelRuntime& runtime, Session& session, TaskRecord& task,
                    const ExecutionSettings& settings, const TileCallbacks& callbacks);

}  // namespace resr
