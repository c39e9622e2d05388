// Where the job server keeps its tasks: what the worker and the routes need.
// The embedded SQLite store (sqlite_task_store.hpp) is the default. Every
// method is safe to call from any thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "resr/status.hpp"
#include "server/tasks/task.hpp"

namespace resr {

// A finished task's output as a file of this machine, to send to a client.
struct OutputFile {
  std::filesystem::path path;
  bool temporary = false;  // a copy made for this download: deleted once sent
};

class TaskStore {
 public:
  virtual ~TaskStore() = default;

  // Adds a queued task. When its idempotency key is already taken, nothing is
  // added and the task that holds the key comes back instead.
  virtual Result<TaskRecord> insert(const TaskRecord& task) = 0;
  virtual Result<std::optional<TaskRecord>> find(const std::string& id) = 0;
  virtual Result<std::optional<TaskRecord>> find_by_idempotency_key(const std::string& key) = 0;
  // Queued tasks waiting (not counting synchronous ones).
  virtual Result<int> queued_count() = 0;
  // The next task to run, marked running: synchronous ones first, then oldest
  // first; with `sync_only`, synchronous ones only.
  virtual Result<std::optional<TaskRecord>> claim_next(double now, bool sync_only = false) = 0;
  // Writes a task's outcome (state, method, sizes, times, error).
  virtual Status update(const TaskRecord& task) = 0;
  // queued -> canceled; false when the task was not queued.
  virtual Result<bool> cancel_if_queued(const std::string& id, double now) = 0;
  // At start: tasks left running by a stopped or killed server go back to the
  // queue; synchronous ones fail (their client has gone). Returns how many.
  virtual Result<int> recover_interrupted(double now) = 0;
  // Finished tasks whose results expired at `now`: marked expired and returned
  // so their files can be deleted. Rows a day past expiry are removed.
  virtual Result<std::vector<TaskRecord>> expire(double now) = 0;
  // Makes a successful task's output durable where every node can serve it
  // (SQLite: the results folder already is). An error fails the task.
  virtual Status keep_output(TaskRecord& task) = 0;
  // Where a successful task's output can be read on this machine.
  virtual Result<OutputFile> output_file(const TaskRecord& task) = 0;
  // The running task's progress, for status polls on other nodes; true when
  // a client asked another node to cancel it (SQLite: never).
  virtual bool report_progress(const std::string& id, int done, int total) = 0;
  // Asks whichever node runs task `id` to stop it; false when no other node
  // runs it (SQLite: the local worker is the only one).
  virtual Result<bool> request_cancel(const std::string& id) = 0;
};

}  // namespace resr
