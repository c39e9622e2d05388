// One connection to the cluster's Redis (hiredis), shared by a node's threads
// one command at a time. A broken connection is reopened on the next command,
// at most once per backoff interval (doubling up to 2 s while Redis stays
// down), so a node rides out a Redis restart without spinning.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "resr/status.hpp"
#include "server/cluster/redis_address.hpp"

namespace resr {

struct RedisReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

// A reply's text (a string or status reply), or "" for nil and other kinds.
std::string reply_text(const redisReply* reply);
// A reply's integer (an integer reply, or a string holding one), else 0.
long long reply_integer(const redisReply* reply);

class RedisConnection {
 public:
  // Connects once; an unreachable Redis is kUnavailable.
  static Result<std::unique_ptr<RedisConnection>> open(const RedisAddress& address);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Runs one command (binary-safe arguments). Redis unreachable: kUnavailable;
  // an error reply: kInternal with Redis's message.
  Result<RedisReply> command(const std::vector<std::string>& args);
  // A command whose reply is not needed.
  Status run(const std::vector<std::string>& args);
  // Whether the last command reached Redis.
  bool connected() const;

 private:
  explicit RedisConnection(RedisAddress address) : address_(std::move(address)) {}
  Status connect();  // mutex_ held
  Status unreachable(const std::string& why) const;

  const RedisAddress address_;
  mutable std::mutex mutex_;
  redisContext* context_ = nullptr;  // guarded by mutex_; null while down
  std::chrono::steady_clock::time_point next_attempt_;
  std::chrono::milliseconds backoff_{100};
};

}  // namespace resr
