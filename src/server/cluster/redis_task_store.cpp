#include "server/cluster/redis_task_store.hpp"

#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "resr/pending_file.hpp"
#include "server/tasks/task_worker.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

constexpr const char* kGroup = "workers";
constexpr const char* kQueueStream = "resr:queue";
constexpr const char* kSyncStream = "resr:sync";
// Tasks failed after max_deliveries, with the reason: for an operator to look at.
constexpr const char* kDeadLetterStream = "resr:dead-letter";
// Results kept in shared_dir, scored by their expiry time, for the sweepers.
constexpr const char* kSharedResults = "resr:shared-results";
constexpr double kKeepExpiredSeconds = 86400;  // 410 Gone for a day, as in SQLite

std::string task_key(const std::string& id) { return "resr:task:" + id; }
std::string input_key(const std::string& id) { return "resr:input:" + id; }
std::string result_key(const std::string& id) { return "resr:result:" + id; }
std::string cancel_key(const std::string& id) { return "resr:cancel:" + id; }
std::string idempotency_key(const std::string& key) { return "resr:idempotency:" + key; }

// Keys the idempotency key (when given) to the task, stores the hash and
// queues its id, atomically; returns the id of the task that holds the key.
constexpr const char* kInsertScript = R"lua(
if ARGV[1] ~= '' then
  local held = redis.call('GET', KEYS[3])
  if held and redis.call('EXISTS', 'resr:task:' .. held) == 1 then return held end
  redis.call('SET', KEYS[3], ARGV[2])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
local entry = redis.call('XADD', KEYS[2], '*', 'task', ARGV[2])
redis.call('HSET', KEYS[1], 'entry', entry)
return ARGV[2]
)lua";

// queued -> running on this node; 0 when the task is not queued (canceled).
constexpr const char* kClaimScript = R"lua(
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'running', 'started_at', ARGV[1], 'node', ARGV[2],
           'tiles_done', 0, 'tiles_total', 0)
return redis.call('HINCRBY', KEYS[1], 'deliveries', 1)
)lua";

// A pending entry taken over from a node presumed dead: counts the delivery;
// returns 0 (nothing to run: acknowledged), -N (delivered N times: too many)
// or N (now running on this node).
constexpr const char* kReclaimScript = R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'running' and state ~= 'queued' then
  redis.call('XACK', KEYS[2], 'workers', ARGV[3])
  redis.call('XDEL', KEYS[2], ARGV[3])
  return 0
end
local n = redis.call('HINCRBY', KEYS[1], 'deliveries', 1)
if n > tonumber(ARGV[4]) then return -n end
redis.call('HSET', KEYS[1], 'state', 'running', 'started_at', ARGV[1], 'node', ARGV[2],
           'tiles_done', 0, 'tiles_total', 0)
return n
)lua";

// The running node is alive: its entry's idle time starts again.
constexpr const char* kHeartbeatScript = R"lua(
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then return 0 end
local stream = redis.call('HGET', KEYS[1], 'stream')
local entry = redis.call('HGET', KEYS[1], 'entry')
if not stream or not entry then return 0 end
redis.call('XCLAIM', stream, 'workers', ARGV[1], 0, entry, 'JUSTID')
return 1
)lua";

// The outcome, then the acknowledgement: a node that dies before this line
// leaves the task pending, to be delivered again.
constexpr const char* kFinishScript = R"lua(
local stream = redis.call('HGET', KEYS[1], 'stream')
local entry = redis.call('HGET', KEYS[1], 'entry')
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
if stream and entry then
  redis.call('XACK', stream, 'workers', entry)
  redis.call('XDEL', stream, entry)
end
redis.call('DEL', KEYS[2], KEYS[3])
if ARGV[2] == '1' then redis.call('DEL', KEYS[4]) end
if tonumber(ARGV[1]) > 0 then
  redis.call('EXPIREAT', KEYS[1], ARGV[1])
  redis.call('EXPIREAT', KEYS[5], ARGV[1])
end
return 1
)lua";

// Back to the queue (a shutdown interrupted it): a fresh entry for any node.
constexpr const char* kRequeueScript = R"lua(
local stream = redis.call('HGET', KEYS[1], 'stream')
local entry = redis.call('HGET', KEYS[1], 'entry')
redis.call('HSET', KEYS[1], unpack(ARGV))
redis.call('XACK', stream, 'workers', entry)
redis.call('XDEL', stream, entry)
redis.call('HSET', KEYS[1], 'entry', redis.call('XADD', stream, '*', 'task', ARGV[2]))
return 1
)lua";

constexpr const char* kCancelQueuedScript = R"lua(
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'canceled', 'finished_at', ARGV[1],
           'error', 'canceled by the client')
local stream = redis.call('HGET', KEYS[1], 'stream')
local entry = redis.call('HGET', KEYS[1], 'entry')
redis.call('XACK', stream, 'workers', entry)
redis.call('XDEL', stream, entry)
redis.call('DEL', KEYS[2])
return 1
)lua";

constexpr const char* kRequestCancelScript = R"lua(
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('SET', KEYS[2], '1', 'EX', 86400)
return 1
)lua";

// Queued = entries in the stream not yet delivered (delivered ones are pending).
constexpr const char* kQueuedCountScript = R"lua(
return redis.call('XLEN', KEYS[1]) - redis.call('XPENDING', KEYS[1], 'workers')[1]
)lua";

// A stream entry: its id and the task id it carries.
struct StreamEntry {
  std::string entry_id;
  std::string task_id;
};

StreamEntry stream_entry(const redisReply* entry) {
  const redisReply* fields = entry->element[1];
  return {reply_text(entry->element[0]),
          fields->elements >= 2 ? reply_text(fields->element[1]) : ""};
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.6f", value);
  return text;
}

std::vector<std::string> task_fields(const TaskRecord& t) {
  return {"id",
          t.id,
          "state",
          task_state_name(t.state),
          "params",
          to_json(t.params).dump(),
          "sync",
          t.sync ? "1" : "0",
          "idempotency_key",
          t.idempotency_key,
          "input_name",
          t.input_name,
          "output_path",
          t.output_path,
          "method",
          t.method,
          "error",
          t.error,
          "error_code",
          t.error_code,
          "input_width",
          std::to_string(t.input_width),
          "input_height",
          std::to_string(t.input_height),
          "output_width",
          std::to_string(t.output_width),
          "output_height",
          std::to_string(t.output_height),
          "output_bytes",
          std::to_string(t.output_bytes),
          "created_at",
          number(t.created_at),
          "started_at",
          number(t.started_at),
          "finished_at",
          number(t.finished_at),
          "expires_at",
          number(t.expires_at),
          "expired",
          t.expired ? "1" : "0",
          "node",
          t.node,
          "tiles_done",
          std::to_string(t.tiles_done),
          "tiles_total",
          std::to_string(t.tiles_total),
          "request_digest",
          t.request_digest};
}

TaskRecord task_from_hash(const redisReply* reply) {
  std::map<std::string, std::string> f;
  for (size_t i = 0; i + 1 < reply->elements; i += 2) {
    f[reply_text(reply->element[i])] = reply_text(reply->element[i + 1]);
  }
  auto integer = [&](const char* name) { return std::atoll(f[name].c_str()); };
  auto real = [&](const char* name) { return std::atof(f[name].c_str()); };
  TaskRecord t;
  t.id = f["id"];
  t.state = task_state_from_name(f["state"]).value_or(TaskState::kFailed);
  t.params = task_parameters_from_json(nlohmann::json::parse(f["params"], nullptr, false));
  t.sync = f["sync"] == "1";
  t.idempotency_key = f["idempotency_key"];
  t.input_name = f["input_name"];
  t.output_path = f["output_path"];
  t.method = f["method"];
  t.error = f["error"];
  t.error_code = f["error_code"];
  t.input_width = static_cast<int>(integer("input_width"));
  t.input_height = static_cast<int>(integer("input_height"));
  t.output_width = static_cast<int>(integer("output_width"));
  t.output_height = static_cast<int>(integer("output_height"));
  t.output_bytes = integer("output_bytes");
  t.created_at = real("created_at");
  t.started_at = real("started_at");
  t.finished_at = real("finished_at");
  t.expires_at = real("expires_at");
  t.expired = f["expired"] == "1" || (t.expires_at > 0 && unix_now() >= t.expires_at);
  t.node = f["node"];
  t.tiles_done = static_cast<int>(integer("tiles_done"));
  t.tiles_total = static_cast<int>(integer("tiles_total"));
  t.request_digest = f["request_digest"];
  return t;
}

Result<std::string> read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return error(ErrorCode::kIoError, "cannot read " + file.string());
  return bytes.str();
}

Status write_file(const fs::path& file, const std::string& bytes) {
  std::error_code ignored;
  fs::create_directories(file.parent_path(), ignored);
  RESR_ASSIGN_OR_RETURN(auto pending, PendingFile::create(file));
  RESR_RETURN_IF_ERROR(pending->write(bytes));
  return pending->commit();
}

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace

Result<std::unique_ptr<RedisTaskStore>> RedisTaskStore::open(ClusterSettings settings) {
  RESR_ASSIGN_OR_RETURN(auto redis, RedisConnection::open(settings.address));
  std::unique_ptr<RedisTaskStore> store(new RedisTaskStore(std::move(redis), std::move(settings)));
  RESR_RETURN_IF_ERROR(store->check_eviction_policy());
  RESR_RETURN_IF_ERROR(store->create_groups());
  return store;
}

Status RedisTaskStore::check_eviction_policy() {
  RESR_ASSIGN_OR_RETURN(RedisReply reply, redis_->command({"CONFIG", "GET", "maxmemory-policy"}));
  const std::string policy =
      reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 ? reply_text(reply->element[1]) : "";
  if (policy == "noeviction") return Status::ok();
  return error(ErrorCode::kUnsupported,
               "the task queue (Redis at " + settings_.address.text() + ") has maxmemory-policy '" +
                   policy +
                   "': it may evict accepted tasks and results; set maxmemory-policy noeviction "
                   "(docs/cluster.md)");
}

Status RedisTaskStore::create_groups() {
  for (const char* stream : {kQueueStream, kSyncStream}) {
    Result<RedisReply> created =
        redis_->command({"XGROUP", "CREATE", stream, kGroup, "0", "MKSTREAM"});
    if (!created.is_ok() && created.status().message().find("BUSYGROUP") == std::string::npos) {
      return created.status();
    }
  }
  return Status::ok();
}

Result<std::string> RedisTaskStore::field(const std::string& id, const std::string& name) {
  RESR_ASSIGN_OR_RETURN(RedisReply reply, redis_->command({"HGET", task_key(id), name}));
  return reply_text(reply.get());
}

Result<std::string> RedisTaskStore::store_value(const std::string& key, const fs::path& file,
                                                const std::string& what,
                                                const std::string& shared_name) {
  RESR_ASSIGN_OR_RETURN(std::string bytes, read_bytes(file));
  const auto size = static_cast<int64_t>(bytes.size());
  if (size <= settings_.max_value_bytes) {
    RESR_RETURN_IF_ERROR(redis_->run({"SET", key, bytes}));
    return std::string();
  }
  if (settings_.shared_dir.empty()) {
    return error(ErrorCode::kResourceExhausted,
                 "the " + what + " is " + std::to_string(size) + " bytes, over the " +
                     std::to_string(settings_.max_value_bytes) +
                     " bytes the cluster keeps in Redis (server setting "
                     "cluster_result_max_bytes), and no shared_dir is set for larger ones");
  }
  const fs::path shared = settings_.shared_dir / shared_name;
  if (!write_file(shared, bytes).is_ok()) {
    return error(ErrorCode::kIoError, "cannot write the " + what +
                                          " into the shared folder (server setting shared_dir)");
  }
  return shared.string();
}

Result<TaskRecord> RedisTaskStore::insert(const TaskRecord& task) {
  const std::string stream = task.sync ? kSyncStream : kQueueStream;
  RESR_ASSIGN_OR_RETURN(std::string shared, store_value(input_key(task.id), task.input_path,
                                                        "input", "inputs/" + task.id));
  auto discard = [&] {
    redis_->run({"DEL", input_key(task.id)});
    std::error_code ignored;
    if (!shared.empty()) fs::remove(shared, ignored);
  };
  Result<RedisReply> held = redis_->command(with(
      {"EVAL", kInsertScript, "3", task_key(task.id), stream, idempotency_key(task.idempotency_key),
       task.idempotency_key, task.id, "stream", stream, "input_file", shared},
      task_fields(task)));
  if (!held.is_ok()) {
    discard();
    return held.status();
  }
  std::error_code ignored;
  fs::remove(task.input_path, ignored);  // Redis or the shared folder holds it now
  const std::string holder = reply_text(held->get());
  if (holder == task.id) return task;
  discard();
  RESR_ASSIGN_OR_RETURN(std::optional<TaskRecord> existing, find(holder));
  if (!existing) return error(ErrorCode::kInternal, "task " + holder + " vanished");
  return *existing;
}

Result<std::optional<TaskRecord>> RedisTaskStore::find(const std::string& id) {
  RESR_ASSIGN_OR_RETURN(RedisReply reply, redis_->command({"HGETALL", task_key(id)}));
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return std::optional<TaskRecord>();
  return std::optional<TaskRecord>(task_from_hash(reply.get()));
}

Result<std::optional<TaskRecord>> RedisTaskStore::find_by_idempotency_key(const std::string& key) {
  RESR_ASSIGN_OR_RETURN(RedisReply reply, redis_->command({"GET", idempotency_key(key)}));
  if (reply->type != REDIS_REPLY_STRING) return std::optional<TaskRecord>();
  return find(reply_text(reply.get()));
}

Result<int> RedisTaskStore::queued_count() {
  RESR_ASSIGN_OR_RETURN(RedisReply reply,
                        redis_->command({"EVAL", kQueuedCountScript, "1", kQueueStream}));
  return static_cast<int>(reply_integer(reply.get()));
}

Result<std::optional<TaskRecord>> RedisTaskStore::claim_next(double now, bool sync_only) {
  RESR_ASSIGN_OR_RETURN(std::optional<TaskRecord> task, claim_from(kSyncStream, now));
  if (task || sync_only) return task;
  // Abandoned tasks first: they have waited longest. (A synchronous task is
  // not taken over: its client's connection died with its node.)
  RESR_ASSIGN_OR_RETURN(task, reclaim_abandoned(now));
  if (task) return task;
  return claim_from(kQueueStream, now);
}

Result<std::optional<TaskRecord>> RedisTaskStore::running_task(const std::string& id) {
  RESR_ASSIGN_OR_RETURN(std::optional<TaskRecord> task, find(id));
  if (!task) return task;
  RESR_ASSIGN_OR_RETURN(task->input_path, local_input(id));
  return task;
}

Result<std::optional<TaskRecord>> RedisTaskStore::reclaim_abandoned(double now) {
  const std::string idle_ms = std::to_string(settings_.claim_idle_seconds * 1000);
  while (true) {
    RESR_ASSIGN_OR_RETURN(RedisReply reply,
                          redis_->command({"XAUTOCLAIM", kQueueStream, kGroup, settings_.node_id,
                                           idle_ms, "0-0", "COUNT", "1"}));
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) return std::optional<TaskRecord>();
    const redisReply* entries = reply->element[1];
    if (entries->elements == 0) return std::optional<TaskRecord>();
    const redisReply* entry = entries->element[0];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) continue;
    const auto [entry_id, id] = stream_entry(entry);
    RESR_ASSIGN_OR_RETURN(
        RedisReply taken,
        redis_->command({"EVAL", kReclaimScript, "2", task_key(id), kQueueStream, number(now),
                         settings_.node_id, entry_id, std::to_string(settings_.max_deliveries)}));
    const long long deliveries = reply_integer(taken.get());
    if (deliveries == 0) continue;
    if (deliveries < 0) {
      RESR_RETURN_IF_ERROR(dead_letter(id, static_cast<int>(-deliveries) - 1, now));
      continue;
    }
    RESR_ASSIGN_OR_RETURN(std::optional<TaskRecord> task, running_task(id));
    if (task) return task;
  }
}

Status RedisTaskStore::dead_letter(const std::string& id, int deliveries, double now) {
  RESR_ASSIGN_OR_RETURN(std::optional<TaskRecord> task, find(id));
  if (!task) return Status::ok();
  const std::string reason = "the task was delivered " + std::to_string(deliveries) +
                             " times and each node running it stopped before it finished "
                             "(server setting cluster_max_deliveries); it is not tried again";
  RESR_RETURN_IF_ERROR(
      redis_->run({"XADD", kDeadLetterStream, "*", "task", id, "deliveries",
                   std::to_string(deliveries), "node", task->node, "reason", reason}));
  task->state = TaskState::kFailed;
  task->error = reason;
  task->error_code = "delivery_limit";
  task->finished_at = now;
  task->expires_at = now + settings_.result_ttl_seconds;
  return update(*task);
}

Result<std::optional<TaskRecord>> RedisTaskStore::claim_from(const std::string& stream,
                                                             double now) {
  while (true) {
    RESR_ASSIGN_OR_RETURN(RedisReply reply,
                          redis_->command({"XREADGROUP", "GROUP", kGroup, settings_.node_id,
                                           "COUNT", "1", "STREAMS", stream, ">"}));
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0)
      return std::optional<TaskRecord>();
    const redisReply* entries = reply->element[0]->element[1];
    if (entries->elements == 0) return std::optional<TaskRecord>();
    const auto [entry_id, id] = stream_entry(entries->element[0]);
    RESR_ASSIGN_OR_RETURN(
        RedisReply claimed,
        redis_->command({"EVAL", kClaimScript, "1", task_key(id), number(now), settings_.node_id}));
    if (reply_integer(claimed.get()) == 0) {  // canceled while queued: nothing to run
      redis_->command({"XACK", stream, kGroup, entry_id});
      redis_->command({"XDEL", stream, entry_id});
      continue;
    }
    RESR_ASSIGN_OR_RETURN(std::optional<TaskRecord> task, running_task(id));
    if (task) return task;
  }
}

Result<std::string> RedisTaskStore::local_input(const std::string& id) {
  RESR_ASSIGN_OR_RETURN(std::string shared, field(id, "input_file"));
  if (!shared.empty()) return shared;
  const fs::path local = settings_.inputs_dir / id;
  RESR_ASSIGN_OR_RETURN(RedisReply bytes, redis_->command({"GET", input_key(id)}));
  // A vanished input leaves the path missing: the task fails saying so.
  if (bytes->type == REDIS_REPLY_STRING) {
    RESR_RETURN_IF_ERROR(write_file(local, reply_text(bytes.get())));
  }
  return local.string();
}

Status RedisTaskStore::update(const TaskRecord& task) {
  const std::vector<std::string> fields = task_fields(task);
  if (task.state == TaskState::kQueued) {
    return redis_->run(with({"EVAL", kRequeueScript, "1", task_key(task.id)}, fields));
  }
  if (!is_final(task.state)) return redis_->run(with({"HSET", task_key(task.id)}, fields));
  const double forget_at = task.expires_at > 0 ? task.expires_at + kKeepExpiredSeconds : 0;
  return redis_->run(
      with({"EVAL", kFinishScript, "5", task_key(task.id), input_key(task.id), cancel_key(task.id),
            result_key(task.id), idempotency_key(task.idempotency_key),
            std::to_string(static_cast<long long>(forget_at)), task.expired ? "1" : "0"},
           fields));
}

Result<bool> RedisTaskStore::cancel_if_queued(const std::string& id, double now) {
  RESR_ASSIGN_OR_RETURN(std::string shared, field(id, "input_file"));
  RESR_ASSIGN_OR_RETURN(RedisReply reply,
                        redis_->command({"EVAL", kCancelQueuedScript, "2", task_key(id),
                                         input_key(id), number(now)}));
  const bool canceled = reply_integer(reply.get()) == 1;
  std::error_code ignored;
  if (canceled && !shared.empty()) fs::remove(shared, ignored);
  return canceled;
}

Result<int> RedisTaskStore::recover_interrupted(double) { return 0; }

Result<std::vector<TaskRecord>> RedisTaskStore::expire(double now) {
  RESR_ASSIGN_OR_RETURN(RedisReply due,
                        redis_->command({"ZRANGEBYSCORE", kSharedResults, "-inf", number(now)}));
  std::vector<TaskRecord> expired;
  for (size_t i = 0; i < due->elements; ++i) {
    const std::string file = reply_text(due->element[i]);
    // Each node sweeps: the one whose ZREM takes the entry deletes the file.
    Result<RedisReply> taken = redis_->command({"ZREM", kSharedResults, file});
    if (!taken.is_ok() || reply_integer(taken->get()) != 1) continue;
    TaskRecord task;
    task.output_path = file;
    expired.push_back(task);
  }
  return expired;
}

Status RedisTaskStore::keep_output(TaskRecord& task) {
  RESR_ASSIGN_OR_RETURN(std::string shared,
                        store_value(result_key(task.id), task.output_path, "result",
                                    "results/" + fs::path(task.output_path).filename().string()));
  const std::string expires_at = std::to_string(static_cast<long long>(std::ceil(task.expires_at)));
  if (shared.empty()) {
    RESR_RETURN_IF_ERROR(redis_->run({"EXPIREAT", result_key(task.id), expires_at}));
  } else {
    RESR_RETURN_IF_ERROR(redis_->run({"HSET", task_key(task.id), "result_file", shared}));
    RESR_RETURN_IF_ERROR(redis_->run({"ZADD", kSharedResults, number(task.expires_at), shared}));
  }
  std::error_code ignored;
  fs::remove(task.output_path, ignored);  // every node reads it from Redis or shared_dir now
  return Status::ok();
}

Result<OutputFile> RedisTaskStore::output_file(const TaskRecord& task) {
  RESR_ASSIGN_OR_RETURN(std::string shared, field(task.id, "result_file"));
  if (!shared.empty()) return OutputFile{shared, false};
  RESR_ASSIGN_OR_RETURN(RedisReply bytes, redis_->command({"GET", result_key(task.id)}));
  if (bytes->type != REDIS_REPLY_STRING) {
    return error(ErrorCode::kNotFound, "the result of task " + task.id + " is gone");
  }
  static std::atomic<uint64_t> downloads{0};
  const fs::path copy = settings_.downloads_dir / (task.id + "-" + std::to_string(++downloads) +
                                                   fs::path(task.output_path).extension().string());
  RESR_RETURN_IF_ERROR(write_file(copy, reply_text(bytes.get())));
  return OutputFile{copy, true};
}

bool RedisTaskStore::report_progress(const std::string& id, int done, int total) {
  redis_->command({"HSET", task_key(id), "tiles_done", std::to_string(done), "tiles_total",
                   std::to_string(total)});
  redis_->command({"EVAL", kHeartbeatScript, "1", task_key(id), settings_.node_id});
  Result<RedisReply> asked = redis_->command({"EXISTS", cancel_key(id)});
  return asked.is_ok() && reply_integer(asked->get()) == 1;
}

Result<bool> RedisTaskStore::request_cancel(const std::string& id) {
  RESR_ASSIGN_OR_RETURN(RedisReply reply, redis_->command({"EVAL", kRequestCancelScript, "2",
                                                           task_key(id), cancel_key(id)}));
  return reply_integer(reply.get()) == 1;
}

}  // namespace resr
