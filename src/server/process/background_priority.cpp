#include "server/process/background_priority.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace resr {

namespace {
// CFS weights: nice 0 is 1024, nice 10 is 110, so a connection thread gets
// about 90% of a core it shares with a compute thread, while the model still
// gets every cycle nobody else wants.
constexpr int kBackgroundNiceIncrement = 10;
constexpr int kLowestNice = 19;
}  // namespace

bool run_at_background_priority() {
  // Linux keeps the policy and the nice value per thread: address this one.
  const auto tid = static_cast<pid_t>(::syscall(SYS_gettid));
  sched_param param{};
  param.sched_priority = 0;
  // SCHED_BATCH: a compute thread that wakes does not preempt a running one.
  const bool batch = ::sched_setscheduler(tid, SCHED_BATCH, &param) == 0;
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  if (errno != 0) return false;
  const bool niced = ::setpriority(PRIO_PROCESS, static_cast<id_t>(tid),
                                   std::min(nice + kBackgroundNiceIncrement, kLowestNice)) == 0;
  return batch && niced;
}

}  // namespace resr
