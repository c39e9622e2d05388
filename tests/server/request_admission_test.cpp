// RequestAdmission: at most `slots` holders, first come first served, and a
// holder that waits gives its slot up meanwhile.
#include "server/http/request_admission.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace resr {
namespace {

using namespace std::chrono_literals;

// Waits (up to 5 s) until `n` threads wait for a slot.
void await_queued(const RequestAdmission& admission, int n) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (admission.queued() != n && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(admission.queued(), n);
}

TEST(RequestAdmission, NeverMoreHoldersThanSlots) {
  RequestAdmission admission(2);
  std::atomic<int> holders{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        RequestAdmission::Admitted admitted(admission);
        const int now = ++holders;
        int seen = most;
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(200us);
        --holders;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(most, 2);
  EXPECT_EQ(admission.queued(), 0);
}

TEST(RequestAdmission, AdmitsInArrivalOrder) {
  RequestAdmission admission(1);
  std::mutex order_mutex;
  std::vector<int> order;
  std::vector<std::thread> threads;
  {
    RequestAdmission::Admitted first(admission);
    for (int t = 0; t < 5; ++t) {
      threads.emplace_back([&, t] {
        RequestAdmission::Admitted admitted(admission);
        std::lock_guard<std::mutex> lock(order_mutex);
        order.push_back(t);
      });
      await_queued(admission, t + 1);  // thread t waits before thread t + 1 starts
    }
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(RequestAdmission, AWaitingHolderLetsAnotherInThenQueuesAgain) {
  RequestAdmission admission(1);
  std::thread other, late;
  {
    RequestAdmission::Admitted admitted(admission);
    {
      RequestAdmission::Waiting waiting;
      // With the slot given up, another request is admitted at once.
      std::promise<void> admitted_other;
      other = std::thread([&] {
        RequestAdmission::Admitted theirs(admission);
        admitted_other.set_value();
      });
      EXPECT_EQ(admitted_other.get_future().wait_for(5s), std::future_status::ready);
    }
    // The slot is held again: a newcomer waits until it is left.
    late = std::thread([&] { RequestAdmission::Admitted theirs(admission); });
    await_queued(admission, 1);
  }
  other.join();
  late.join();
  EXPECT_EQ(admission.queued(), 0);
}

TEST(RequestAdmission, WaitingWithoutASlotChangesNothing) {
  RequestAdmission admission(1);
  { RequestAdmission::Waiting waiting; }
  RequestAdmission::Admitted admitted(admission);
  EXPECT_EQ(admission.queued(), 0);
}

}  // namespace
}  // namespace resr
