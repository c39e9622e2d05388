// CPU seconds of the whole process: on a shared machine, work per CPU-second
// shows the kernels' efficiency even while other processes take turns.
#pragma once

#include <ctime>

inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}
