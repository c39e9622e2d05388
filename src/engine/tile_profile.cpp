#include "engine/tile_profile.hpp"

#include <algorithm>
#include <charconv>

namespace resr {

Result<TileProfile> parse_tile_profile(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return error(ErrorCode::kInvalidArgument,
                 "tile profile '" + text + "': " + why +
                     "; expected MIN:OPT:MAX in input pixels, e.g. 64:256:512");
  };
  int values[3] = {};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    const auto [next, ec] = std::from_chars(p, end, values[i]);
    if (ec != std::errc() || next == p) return bad("not three whole numbers");
    p = next;
    if (i < 2) {
      if (p == end || *p != ':') return bad("not three whole numbers");
      ++p;
    }
  }
  if (p != end) return bad("trailing characters");
  const TileProfile profile{values[0], values[1], values[2]};
  if (const Status s = check_tile_profile(profile); !s.is_ok()) return bad(s.message());
  return profile;
}

Status check_tile_profile(const TileProfile& profile) {
  if (profile.min < 16) return error(ErrorCode::kInvalidArgument, "MIN must be at least 16");
  if (profile.min > profile.opt || profile.opt > profile.max) {
    return error(ErrorCode::kInvalidArgument, "needs MIN <= OPT <= MAX");
  }
  return Status::ok();
}

std::string to_string(const TileProfile& profile) {
  return std::to_string(profile.min) + ":" + std::to_string(profile.opt) + ":" +
         std::to_string(profile.max);
}

int tile_for(const std::optional<TileProfile>& profile, int requested, int fallback) {
  if (!profile) return requested > 0 ? requested : fallback;
  if (requested <= 0) return profile->opt;
  return std::clamp(requested, profile->min, profile->max);
}

}  // namespace resr
