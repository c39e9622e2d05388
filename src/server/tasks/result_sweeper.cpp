#include "server/tasks/result_sweeper.hpp"

#include <cstdio>
#include <filesystem>

#include "server/tasks/task_worker.hpp"

namespace resr {

ResultSweeper::ResultSweeper(TaskStore& store, std::chrono::milliseconds interval) {
  thread_ = std::thread([this, &store, interval] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      sweep(store);
      lock.lock();
    }
  });
}

ResultSweeper::~ResultSweeper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  thread_.join();
}

int ResultSweeper::sweep(TaskStore& store) {
  Result<std::vector<TaskRecord>> expired = store.expire(unix_now());
  if (!expired.is_ok()) {
    std::fprintf(stderr, "error: %s\n", expired.status().message().c_str());
    return 0;
  }
  int deleted = 0;
  for (const TaskRecord& task : *expired) {
    std::error_code ignored;
    if (!task.output_path.empty() && std::filesystem::remove(task.output_path, ignored)) ++deleted;
  }
  return deleted;
}

}  // namespace resr
