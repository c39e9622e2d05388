// The threads that run tasks, and the controls other threads have over them:
// wake them, cancel a running task, read its progress, wait for a task, stop.
//
// Two lanes, each with its own model session: the main lane runs every task,
// synchronous requests first, then queued ones oldest first; the sync lane
// runs synchronous requests only, so a POST /upscale client does not wait
// behind a long queued task (the two share the cores while both run).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server/tasks/model_runtime.hpp"
#include "server/tasks/task_execution.hpp"
#include "server/tasks/task_store.hpp"

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
  // Task `id` when it runs; with no id, a running task (the main lane's first), or none.
  std::optional<RunningTask> running(const std::string& id = {}) const;
  // How many lanes run a task now (the queue's lane and the synchronous one).
  int running_count() const;
  // Waits until task `id` is final (or `timeout` passes); true when final.
  bool wait_finished(const std::string& id, std::chrono::milliseconds timeout);
  // Claims no more tasks; lets the running ones finish within `grace`, then
  // stops them and puts them back in the queue for the next start.
  void stop(std::chrono::milliseconds grace);

 private:
  enum class StopReason { kNone, kClient, kTimeout, kShutdown };
  struct Lane {
    bool sync_only = false;
    std::unique_ptr<Session> session;
    std::optional<RunningTask> running;  // guarded by mutex_
    std::atomic<bool> cancel{false};
    std::atomic<StopReason> stop_reason{StopReason::kNone};
    std::thread thread;
  };

  // The lane running task `id` (any task when `id` is empty), or -1; mutex_ held.
  int lane_running(const std::string& id) const;
  void run(Lane& lane);
  void run_one(Lane& lane, TaskRecord task);
  void end_claim();

  TaskStore& store_;
  ModelRuntime& runtime_;
  WorkerSettings settings_;
  FinishedHook on_finished_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;      // the lanes wait for work here
  std::condition_variable finished_;  // waiters for a task's end wait here
  bool stopping_ = false;
  uint64_t wakes_ = 0;           // wake() calls so far
  uint64_t finished_count_ = 0;  // tasks ended so far
  // The store shows a task running as soon as a lane claims it, a moment
  // before the lane names it running; a cancel waits for claims under way.
  int claims_ = 0;
  std::condition_variable claimed_;
  std::array<Lane, 2> lanes_;  // main, sync
};

}  // namespace resr
