#include "server/process/background_priority.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace resr {
namespace {

struct ThreadPriority {
  int policy = -1;
  int nice = -100;
};

ThreadPriority this_thread_priority() {
  const auto tid = static_cast<pid_t>(::syscall(SYS_gettid));
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  return {::sched_getscheduler(tid), errno == 0 ? nice : -100};
}

TEST(BackgroundPriority, LowersOnlyTheCallingThreadAndThreadsItStarts) {
  const ThreadPriority before = this_thread_priority();
  ThreadPriority lowered, child, sibling;
  bool ok = false;
  std::thread worker([&] {
    ok = run_at_background_priority();
    lowered = this_thread_priority();
    // As the OpenMP team a worker thread starts for the model.
    std::thread([&] { child = this_thread_priority(); }).join();
  });
  worker.join();
  std::thread([&] { sibling = this_thread_priority(); }).join();
  ASSERT_TRUE(ok);
  EXPECT_EQ(lowered.policy, SCHED_BATCH);
  EXPECT_EQ(lowered.nice, std::min(before.nice + 10, 19));
  EXPECT_EQ(child.policy, SCHED_BATCH);
  EXPECT_EQ(child.nice, lowered.nice);
  // The rest of the process (the connection threads) keeps its priority.
  EXPECT_EQ(sibling.policy, before.policy);
  EXPECT_EQ(sibling.nice, before.nice);
  EXPECT_EQ(this_thread_priority().nice, before.nice);
}

}  // namespace
}  // namespace resr
