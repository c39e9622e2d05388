#include "server/cluster/redis_connection.hpp"

#include <algorithm>
#include <cstdlib>

namespace resr {

namespace {

constexpr std::chrono::milliseconds kMaxBackoff{2000};
constexpr timeval kTimeout{5, 0};  // a command that takes longer: Redis is down

}  // namespace

std::string reply_text(const redisReply* reply) {
  if (reply == nullptr) return "";
  if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS) {
    return std::string(reply->str, reply->len);
  }
  return "";
}

long long reply_integer(const redisReply* reply) {
  if (reply == nullptr) return 0;
  if (reply->type == REDIS_REPLY_INTEGER) return reply->integer;
  if (reply->type == REDIS_REPLY_STRING) return std::atoll(reply->str);
  return 0;
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisAddress& address) {
  std::unique_ptr<RedisConnection> connection(new RedisConnection(address));
  std::lock_guard<std::mutex> lock(connection->mutex_);
  RESR_RETURN_IF_ERROR(connection->connect());
  return connection;
}

RedisConnection::~RedisConnection() {
  if (context_ != nullptr) redisFree(context_);
}

Status RedisConnection::unreachable(const std::string& why) const {
  return error(ErrorCode::kUnavailable,
               "the task queue (Redis at " + address_.text() + ") is unreachable: " + why);
}

Status RedisConnection::connect() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) return unreachable("reconnecting");
  redisContext* context = redisConnectWithTimeout(address_.host.c_str(), address_.port, kTimeout);
  if (context == nullptr || context->err) {
    const std::string why = context ? context->errstr : "out of memory";
    if (context) redisFree(context);
    next_attempt_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return unreachable(why);
  }
  redisSetTimeout(context, kTimeout);
  RedisReply selected(static_cast<redisReply*>(redisCommand(context, "SELECT %d", address_.db)));
  if (!selected || selected->type == REDIS_REPLY_ERROR) {
    const std::string why = selected ? reply_text(selected.get()) : context->errstr;
    redisFree(context);
    return error(ErrorCode::kInvalidArgument, "server setting queue: Redis refuses database " +
                                                  std::to_string(address_.db) + ": " + why);
  }
  context_ = context;
  backoff_ = std::chrono::milliseconds(100);
  return Status::ok();
}

Result<RedisReply> RedisConnection::command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (context_ == nullptr) RESR_RETURN_IF_ERROR(connect());
  RedisReply reply(static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (!reply) {
    const std::string why = context_->errstr;
    redisFree(context_);
    context_ = nullptr;
    return unreachable(why);
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    const std::string why = reply->str;
    // A restarted Redis answers LOADING while it replays its append-only file.
    if (why.starts_with("LOADING")) return unreachable(why);
    return error(ErrorCode::kInternal, "Redis refused " + args.front() + ": " + why);
  }
  return reply;
}

Status RedisConnection::run(const std::vector<std::string>& args) {
  Result<RedisReply> reply = command(args);
  return reply.is_ok() ? Status::ok() : reply.status();
}

bool RedisConnection::connected() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return context_ != nullptr;
}

}  // namespace resr
