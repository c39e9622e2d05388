// Cluster mode: the tasks of every node in one Redis. A task is a hash
// (resr:task:ID) with its state, progress and the node that runs it; its id
// goes into a stream (resr:queue, or resr:sync for POST /upscale) that every
// node's worker reads through one consumer group, so each task is delivered
// to one node and acknowledged only once its result is durable. Inputs and
// results are Redis strings up to cluster_result_max_bytes; larger ones are
// files in shared_dir. Each node keeps local copies only while it needs them.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "server/cluster/redis_connection.hpp"
#include "server/tasks/task_store.hpp"

namespace resr {

struct ClusterSettings {
  RedisAddress address;
  std::string node_id;
  int64_t max_value_bytes = 0;          // cluster_result_max_bytes
  std::filesystem::path shared_dir;     // empty: none
  std::filesystem::path inputs_dir;     // this node's copies of the inputs it runs
  std::filesystem::path downloads_dir;  // this node's copies of results being sent
  int64_t claim_idle_seconds = 120;     // a running task silent this long is taken over
  int max_deliveries = 3;               // more: the dead-letter stream, the task failed
  double result_ttl_seconds = 3600;     // for tasks that fail here, not in a worker
};

class RedisTaskStore final : public TaskStore {
 public:
  // Connects, refuses a Redis that may evict keys (kUnsupported) and creates
  // the consumer group. Redis unreachable: kUnavailable.
  static Result<std::unique_ptr<RedisTaskStore>> open(ClusterSettings settings);

  Result<TaskRecord> insert(const TaskRecord& task) override;
  Result<std::optional<TaskRecord>> find(const std::string& id) override;
  Result<std::optional<TaskRecord>> find_by_idempotency_key(const std::string& key) override;
  Result<int> queued_count() override;
  Result<std::optional<TaskRecord>> claim_next(double now, bool sync_only = false) override;
  Status update(const TaskRecord& task) override;
  Result<bool> cancel_if_queued(const std::string& id, double now) override;
  Result<int> recover_interrupted(double now) override;
  Result<std::vector<TaskRecord>> expire(double now) override;
  Status keep_output(TaskRecord& task) override;
  Result<OutputFile> output_file(const TaskRecord& task) override;
  bool report_progress(const std::string& id, int done, int total) override;
  Result<bool> request_cancel(const std::string& id) override;

 private:
  RedisTaskStore(std::unique_ptr<RedisConnection> redis, ClusterSettings settings)
      : redis_(std::move(redis)), settings_(std::move(settings)) {}
  Status check_eviction_policy();
  Status create_groups();
  // Stores a value (an input or a result) in Redis or, when larger than
  // max_value_bytes, in shared_dir; returns the shared file or "".
  Result<std::string> store_value(const std::string& key, const std::filesystem::path& file,
                                  const std::string& what, const std::string& shared_name);
  // The next entry of `stream` claimed by this node, or none.
  Result<std::optional<TaskRecord>> claim_from(const std::string& stream, double now);
  // A task of a node presumed dead (its entry idle for claim_idle_seconds),
  // taken over by this node, or none. One delivered too often is failed and
  // recorded in the dead-letter stream instead.
  Result<std::optional<TaskRecord>> reclaim_abandoned(double now);
  Status dead_letter(const std::string& id, int deliveries, double now);
  // A task just claimed by this node, its input a local file; none when its
  // record is gone.
  Result<std::optional<TaskRecord>> running_task(const std::string& id);
  // The task's input as a file of this machine.
  Result<std::string> local_input(const std::string& id);
  Result<std::string> field(const std::string& id, const std::string& name);

  std::unique_ptr<RedisConnection> redis_;
  const ClusterSettings settings_;
};

}  // namespace resr
