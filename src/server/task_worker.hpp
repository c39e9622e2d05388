// The one thread that runs tasks, oldest first (synchronous requests before
// queued ones), and the controls other threads have over it: wake it, cancel
// the running task, read its progress, wait for a task, stop it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server/model_runtime.hpp"
#include "server/task_execution.hpp"
#include "server/task_store.hpp"

namespace resr {

struct WorkerSettings {
  ExecutionSettings execution;
  int task_timeout_seconds = 300;  // when a task names none
  double result_ttl_seconds = 3600;
};

struct RunningTask {
  std::string id;
  int tiles_done = 0;
  int tiles_total = 0;
};

// Unix time in seconds, as the store keeps it.
double unix_now();

class TaskWorker {
 public:
  // Called as each task ends, before the store records it, for metrics.
  using FinishedHook = std::function<void(const TaskRecord&)>;

  TaskWorker(TaskStore& store, ModelRuntime& runtime, WorkerSettings settings,
             FinishedHook on_finished = {});
  ~TaskWorker();

  void start();
  // A task was queued.
  void wake();
  // Asks the running task `id` to stop; false when `id` is not running.
  bool cancel_running(const std::string& id);
  std::optional<RunningTask> running() const;
  // Waits until task `id` is final (or `timeout` passes); true when final.
  bool wait_finished(const std::string& id, std::chrono::milliseconds timeout);
  // Claims no more tasks; lets the running one finish within `grace`, then
  // stops it and puts it back in the queue for the next start.
  void stop(std::chrono::milliseconds grace);

 private:
  enum class StopReason { kNone, kClient, kTimeout, kShutdown };
  void run();
  void run_one(TaskRecord task);

  TaskStore& store_;
  ModelRuntime& runtime_;
  WorkerSettings settings_;
  FinishedHook on_finished_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;      // the worker waits for work here
  std::condition_variable finished_;  // waiters for a task's end wait here
  bool stopping_ = false;
  bool pending_wake_ = false;
  std::optional<RunningTask> running_;
  uint64_t finished_count_ = 0;  // tasks ended so far
  std::atomic<bool> cancel_{false};
  std::atomic<StopReason> stop_reason_{StopReason::kNone};
  std::thread thread_;
};

}  // namespace resr
