#include "server/cluster/redis_address.hpp"

#include <charconv>

namespace resr {

namespace {

bool parse_int(const std::string& text, int min, int max, int& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc() && ptr == end && out >= min && out <= max;
}

}  // namespace

std::string RedisAddress::text() const {
  return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisAddress> parse_redis_address(const std::string& url) {
  const Status bad = error(ErrorCode::kInvalidArgument,
                           "server setting queue: expected redis://HOST:PORT[/DB] (e.g. "
                           "redis://127.0.0.1:6379/0), got '" +
                               url + "'");
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) return bad;
  std::string rest = url.substr(kScheme.size());
  RedisAddress address;
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    if (!parse_int(rest.substr(slash + 1), 0, 1'000'000, address.db)) return bad;
    rest.resize(slash);
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad;
  if (!parse_int(rest.substr(colon + 1), 1, 65535, address.port)) return bad;
  address.host = rest.substr(0, colon);
  return address;
}

}  // namespace resr
