// Progress of a video run on stderr: frames done / total, frames per second
// and the time left. On a terminal one line is rewritten after every frame;
// otherwise (a log) a line is printed at most every few seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace resr {

class VideoProgress {
 public:
  // total: frames expected, 0 when unknown.
  VideoProgress(bool quiet, int64_t total);

  // done: frames finished so far, of which `resumed` came from earlier runs
  // (they do not count towards the speed).
  void update(int64_t done, int64_t resumed);
  // Ends the rewritten line.
  void finish();

 private:
  void print(int64_t done, int64_t resumed);

  using Clock = std::chrono::steady_clock;
  bool quiet_;
  bool tty_;
  int64_t total_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_print_{};
  int64_t last_done_ = 0;
  int64_t last_resumed_ = 0;
};

}  // namespace resr
