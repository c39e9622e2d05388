// Deletes results past their time to live, now and then, on its own thread.
// A task whose result expired answers 410 Gone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/tasks/task_store.hpp"

namespace resr {

class ResultSweeper {
 public:
  // Sweeps every `interval` until destroyed.
  ResultSweeper(TaskStore& store, std::chrono::milliseconds interval);
  ~ResultSweeper();
  ResultSweeper(const ResultSweeper&) = delete;
  ResultSweeper& operator=(const ResultSweeper&) = delete;

  // One sweep: returns how many results were deleted.
  static int sweep(TaskStore& store);

 private:
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace resr
