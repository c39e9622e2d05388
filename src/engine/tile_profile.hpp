// The tile sizes an engine was built for (`build --tile-profile MIN:OPT:MAX`,
// input pixels per side): OPT is the tile a run uses by default, and requested
// tiles are kept within MIN..MAX. Larger inputs are tiled, never refused.
#pragma once

#include <optional>
#include <string>

#include "resr/status.hpp"

namespace resr {

struct TileProfile {
  int min = 0;
  int opt = 0;
  int max = 0;

  bool operator==(const TileProfile&) const = default;
};

// "MIN:OPT:MAX" with 16 <= MIN <= OPT <= MAX; kInvalidArgument says what is wrong.
Result<TileProfile> parse_tile_profile(const std::string& text);
// 16 <= MIN <= OPT <= MAX; the message says which rule `profile` breaks.
Status check_tile_profile(const TileProfile& profile);
std::string to_string(const TileProfile& profile);

// The tile to run with: `requested` (> 0) kept within the profile, else the
// profile's OPT, else `fallback` (the memory-budget choice).
int tile_for(const std::optional<TileProfile>& profile, int requested, int fallback);

}  // namespace resr
