// Picks the tile size for `-t 0` from a memory budget: the whole image when it
// fits, else the largest square tile that does, because larger tiles waste
// less work on their context (pad) and run fewer, larger convs.
#pragma once

#include <cstdint>
#include <functional>

#include "backend/backend.hpp"

namespace resr {

inline constexpr int64_t kDefaultMemoryBudget = int64_t{1} << 30;  // 1 GiB

// What a process holds besides the model and the pipeline's buffers, for a
// budget meant for the whole process (the CLI's --max-memory): code and
// libraries (~60 MiB before a model loads), heap slack, libvips' encoder.
// Measured: x4plus on a 1024² photo peaked at 1098 MB of RSS where weights,
// activations, pipeline buffers and the output held for encoding came to 959 MB.
inline constexpr int64_t kProcessBytes = int64_t{144} << 20;

struct MemoryBudget {
  int64_t bytes = kDefaultMemoryBudget;  // for the model and its buffers together
  const CompiledModel* model = nullptr;  // asked what its weights and activations cost
  int input_multiple = 1;                // the model's input sides are multiples of this
  int64_t reserved = 0;                  // taken off `bytes` first (kProcessBytes)
};

// Weights plus activations of one tile of `tile` (as plan_tiles cuts a width x
// height image; <= 0: the whole image).
int64_t model_bytes(const MemoryBudget& budget, int width, int height, int tile, int pad);

// Tile core side for a width x height image: 0 (the whole image in one run)
// when the model's weights, its activations for the whole image and
// `other_bytes(0)` fit in the budget; else the largest multiple of 16 whose
// tile input (core plus `pad` of context per side, clipped to the image) fits
// with `other_bytes(tile)`; never below 32, even if that overshoots.
int auto_tile_size(const MemoryBudget& budget, int width, int height, int pad,
                   const std::function<int64_t(int tile)>& other_bytes);

}  // namespace resr
