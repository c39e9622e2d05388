#include "resr/upscale.hpp"

namespace resr {

namespace {

// Automatic tiles size for the model alone, not the pipeline's buffers.
int64_t nothing_else(int) { return 0; }

}  // namespace

MemoryBudget memory_budget(const RunnableModel& model, const UpscaleRequest& request) {
  return MemoryBudget{request.memory_budget, model.compiled.get(), model.input_multiple(),
                      request.reserved_bytes};
}

UpscaleOptions plan_upscale(const RunnableModel& model, const UpscaleRequest& request) {
  UpscaleOptions options;
  options.model_scale = model.graph.scale;
  options.input_multiple = model.input_multiple();
  options.outscale = request.outscale;
  options.tile = tile_for(model.tile_profile, request.tile, 0);
  // Neither asked for nor fixed by an engine: each image's tile comes from the budget.
  if (options.tile <= 0) options.tile_budget = memory_budget(model, request);
  options.tile_pad = request.tile_pad;
  options.alpha = request.alpha;
  options.limits = request.limits;
  return options;
}

int tile_for_image(const UpscaleOptions& options, int width, int height) {
  if (!options.tile_budget) return options.tile;
  return auto_tile_size(*options.tile_budget, width, height, options.tile_pad, nothing_else);
}

Status check_tile_memory(const UpscaleOptions& options, const MemoryBudget& budget, int width,
                         int height, const BudgetName& name) {
  if (options.tile <= 0) return Status::ok();
  const int64_t bytes = model_bytes(budget, width, height, options.tile, options.tile_pad);
  if (bytes <= budget.bytes) return Status::ok();
  const int fitting = auto_tile_size(budget, width, height, options.tile_pad, nothing_else);
  return error(ErrorCode::kResourceExhausted,
               "tile_size " + std::to_string(options.tile) + " needs about " +
                   std::to_string(bytes) + " bytes of model memory, over " + name.owner + " of " +
                   std::to_string(budget.bytes) + " bytes (" + name.setting +
                   "); ask for tile_size " + std::to_string(fitting) +
                   " or less, or 0 (automatic)");
}

}  // namespace resr
