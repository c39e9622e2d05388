// Public API: upscaling images. A front end turns its request (flags, a task's
// parameters) into UpscaleOptions with plan_upscale, then runs the image
// pipeline below (open_image, upscale_image, resize_image).
#pragma once

#include <cstdint>
#include <string>

#include "core/byte_size.hpp"
#include "image/image_limits.hpp"
#include "image/image_loader.hpp"
#include "image/image_prefetcher.hpp"
#include "image/image_upscaler.hpp"
#include "image/output_format.hpp"
#include "resr/model.hpp"
#include "tiling/auto_tile.hpp"
#include "tiling/output_size.hpp"

namespace resr {

struct UpscaleRequest {
  double outscale = 0;  // final scale; 0: the model's
  // Tile core in input pixels: kept within an engine's tile profile; 0:
  // automatic (an engine's OPT tile, else sized per image from the budget).
  int tile = 0;
  int tile_pad = kDefaultTilePad;
  int64_t memory_budget = kDefaultMemoryBudget;  // what automatic tiles may use
  // Taken off the budget first: what the process holds besides the model, for
  // a budget meant for the whole process (kProcessBytes); 0 for a model budget.
  int64_t reserved_bytes = 0;
  AlphaMode alpha = AlphaMode::kModel;
  ImageLimits limits;
};

// The options `model` runs `request` with (callbacks are left to the caller).
UpscaleOptions plan_upscale(const RunnableModel& model, const UpscaleRequest& request);

// The budget automatic tiles of `model` are sized from under `request`.
MemoryBudget memory_budget(const RunnableModel& model, const UpscaleRequest& request);

// The tile `options` runs a width x height image with: its fixed tile, or the
// one its budget picks for the model alone (0: the whole image).
int tile_for_image(const UpscaleOptions& options, int width, int height);

// kResourceExhausted when the fixed tile of `options` makes the model need more
// than `budget` for a width x height image (a client's tile could otherwise
// take the machine's memory); names the largest tile that fits.
struct BudgetName {
  std::string owner;    // "the server's budget"
  std::string setting;  // "server setting tile_memory"
};
Status check_tile_memory(const UpscaleOptions& options, const MemoryBudget& budget, int width,
                         int height, const BudgetName& name);

}  // namespace resr
