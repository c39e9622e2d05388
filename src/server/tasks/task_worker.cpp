#include "server/tasks/task_worker.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "server/process/background_priority.hpp"

namespace resr {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TaskWorker::TaskWorker(TaskStore& store, ModelRuntime& runtime, WorkerSettings settings,
                       FinishedHook on_finished)
    : store_(store),
      runtime_(runtime),
      settings_(std::move(settings)),
      on_finished_(std::move(on_finished)) {
  lanes_[1].sync_only = true;
}

TaskWorker::~TaskWorker() { stop(std::chrono::milliseconds(0)); }

void TaskWorker::start() {
  for (Lane& lane : lanes_) {
    lane.session = runtime_.new_session();
    lane.thread = std::thread([this, &lane] {
      run_at_background_priority();  // best effort: tasks run either way
      run(lane);
    });
  }
}

void TaskWorker::wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++wakes_;
  }
  wake_.notify_all();
}

bool TaskWorker::cancel_running(const std::string& id) {
  std::unique_lock<std::mutex> lock(mutex_);
  claimed_.wait(lock, [this] { return claims_ == 0; });
  const int lane = lane_running(id);
  if (lane < 0) return false;
  lanes_[lane].stop_reason = StopReason::kClient;
  lanes_[lane].cancel = true;
  return true;
}

std::optional<RunningTask> TaskWorker::running(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const int lane = lane_running(id);
  return lane < 0 ? std::nullopt : lanes_[lane].running;
}

int TaskWorker::running_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(std::count_if(lanes_.begin(), lanes_.end(),
                                        [](const Lane& lane) { return lane.running.has_value(); }));
}

int TaskWorker::lane_running(const std::string& id) const {
  for (size_t i = 0; i < lanes_.size(); ++i) {
    const std::optional<RunningTask>& task = lanes_[i].running;
    if (task && (id.empty() || task->id == id)) return static_cast<int>(i);
  }
  return -1;
}

bool TaskWorker::wait_finished(const std::string& id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    // The store is the truth; the count catches a task that ends while it is read.
    const uint64_t seen = finished_count_;
    lock.unlock();
    Result<std::optional<TaskRecord>> task = store_.find(id);
    lock.lock();
    if (!task.is_ok() || !task->has_value() || is_final((*task)->state)) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    // Another node may end it (cluster mode): the store is read again now and then.
    finished_.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(200)),
                         [&] { return finished_count_ != seen; });
  }
}

void TaskWorker::stop(std::chrono::milliseconds grace) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!lanes_[0].thread.joinable()) return;
    stopping_ = true;
    wake_.notify_all();
    if (!finished_.wait_for(lock, grace, [this] { return lane_running({}) < 0; })) {
      for (Lane& lane : lanes_) {
        lane.stop_reason = StopReason::kShutdown;
        lane.cancel = true;
      }
    }
  }
  for (Lane& lane : lanes_) lane.thread.join();
}

void TaskWorker::run(Lane& lane) {
  while (true) {
    uint64_t wakes_seen = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (stopping_) return;
      wakes_seen = wakes_;
      ++claims_;
    }
    Result<std::optional<TaskRecord>> next = store_.claim_next(unix_now(), lane.sync_only);
    if (next.is_ok() && next->has_value()) {
      run_one(lane, std::move(**next));  // ends the claim as it names the task running
      continue;
    }
    end_claim();
    if (!next.is_ok()) std::fprintf(stderr, "error: %s\n", next.status().message().c_str());
    std::unique_lock<std::mutex> lock(mutex_);
    // Also wakes now and then: a task queued by another process sharing the store.
    wake_.wait_for(lock, std::chrono::seconds(1),
                   [&] { return stopping_ || wakes_ != wakes_seen; });
  }
}

void TaskWorker::end_claim() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --claims_;
  }
  claimed_.notify_all();
}

void TaskWorker::run_one(Lane& lane, TaskRecord task) {
  const int timeout = task.params.timeout_seconds > 0 ? task.params.timeout_seconds
                                                      : settings_.task_timeout_seconds;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lane.running = RunningTask{task.id, 0, 0};
    lane.cancel = false;
    lane.stop_reason = StopReason::kNone;
    if (stopping_) {
      // Claimed while a stop began: back to the queue, untouched.
      lane.stop_reason = StopReason::kShutdown;
      lane.cancel = true;
    }
  }
  end_claim();
  TileCallbacks callbacks;
  callbacks.cancel = &lane.cancel;
  callbacks.progress = [this, &lane, deadline, id = task.id](int done, int total) {
    // Shown to status polls on other nodes; a cancel may come from any of them.
    const bool canceled_elsewhere = store_.report_progress(id, done, total);
    std::lock_guard<std::mutex> lock(mutex_);
    if (canceled_elsewhere && !lane.cancel) {
      lane.stop_reason = StopReason::kClient;
      lane.cancel = true;
    }
    if (lane.running) {
      lane.running->tiles_done = done;
      lane.running->tiles_total = total;
    }
    if (std::chrono::steady_clock::now() > deadline && !lane.cancel) {
      lane.stop_reason = StopReason::kTimeout;
      lane.cancel = true;
    }
  };
  const Status status = execute_task(runtime_, *lane.session, task, settings_.execution, callbacks);
  const StopReason reason = lane.stop_reason;
  if (status.is_ok()) {
    task.state = TaskState::kSuccess;
    task.error = message_for_client(task, task.error);  // a fallback's reason
  } else if (status.code() == ErrorCode::kCancelled && reason == StopReason::kShutdown) {
    // Interrupted by a shutdown past its grace period: it runs again at the next start.
    task.state = TaskState::kQueued;
    task.started_at = 0;
  } else if (status.code() == ErrorCode::kCancelled && reason == StopReason::kClient) {
    task.state = TaskState::kCanceled;
    task.error = "canceled by the client";
    task.error_code = error_code_name(ErrorCode::kCancelled);
  } else if (status.code() == ErrorCode::kCancelled && reason == StopReason::kTimeout) {
    task.state = TaskState::kFailed;
    task.error = "the task ran over its timeout of " + std::to_string(timeout) + " s";
    task.error_code = "timeout";
  } else {
    task.state = TaskState::kFailed;
    task.error = message_for_client(task, status.message());
    task.error_code = error_code_name(status.code());
  }
  if (task.state != TaskState::kQueued) {
    task.finished_at = unix_now();
    task.expires_at = task.finished_at + settings_.result_ttl_seconds;
    // The input is no longer needed once the task is over.
    std::error_code ignored;
    std::filesystem::remove(task.input_path, ignored);
  }
  if (task.state == TaskState::kSuccess) {
    if (const Status kept = store_.keep_output(task); !kept.is_ok()) {
      task.state = TaskState::kFailed;
      task.error = kept.message();
      task.error_code = error_code_name(kept.code());
    }
  }
  if (task.state != TaskState::kSuccess && !task.output_path.empty()) {
    std::error_code ignored;
    std::filesystem::remove(task.output_path, ignored);
    task.output_path.clear();
  }
  // Counted before the store shows the task ended, so whoever sees it ended sees it counted.
  if (on_finished_) on_finished_(task);
  const Status stored = store_.update(task);
  if (!stored.is_ok()) std::fprintf(stderr, "error: %s\n", stored.message().c_str());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lane.running.reset();
    ++finished_count_;
  }
  finished_.notify_all();
}

}  // namespace resr
