// PyTorch .pth checkpoints: a zip archive holding data.pkl (a pickle) and one
// raw storage file per tensor, read without Python.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "model/weights.hpp"
#include "resr/status.hpp"

namespace resr {

// Also true for legacy (pre-1.6, non-zip) torch.save files, so that load_pth
// can tell the user how to re-save them.
bool looks_like_pth(std::span<const uint8_t> bytes);
// `origin` names the file in error messages.
Result<LoadedWeights> load_pth(std::span<const uint8_t> bytes, const std::string& origin);

}  // namespace resr
