// The `queue` setting: where the cluster's Redis listens.
#pragma once

#include <string>

#include "resr/status.hpp"

namespace resr {

struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;

  std::string text() const;  // "redis://host:port/db", for messages
};

// "redis://HOST:PORT[/DB]" (PORT 1..65535, DB >= 0). Errors: kInvalidArgument
// saying what the setting expects.
Result<RedisAddress> parse_redis_address(const std::string& url);

}  // namespace resr
