// The queue between two pipeline stages: order, the bound, and that close()
// and abort() release a blocked producer or consumer.
#include "video/bounded_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace resr {
namespace {

TEST(BoundedQueue, KeepsOrderAndNeverHoldsMoreThanItsCapacity) {
  BoundedQueue<int> queue(2);
  std::atomic<int> pushed{0};
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(queue.push(i));
      ++pushed;
    }
    queue.close();
  });
  // The consumer has not started: the producer stops after two items.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pushed.load() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(pushed.load(), 2);
  std::vector<int> got;
  while (std::optional<int> v = queue.pop()) got.push_back(*v);
  producer.join();
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
}

TEST(BoundedQueue, CloseLetsTheConsumerDrainThenEnds) {
  BoundedQueue<int> queue(4);
  queue.push(1);
  queue.push(2);
  queue.close();
  EXPECT_FALSE(queue.push(3));
  EXPECT_EQ(queue.pop(), 1);
  EXPECT_EQ(queue.pop(), 2);
  EXPECT_EQ(queue.pop(), std::nullopt);
}

TEST(BoundedQueue, AbortReleasesABlockedProducerAndConsumer) {
  BoundedQueue<int> full(1);
  full.push(1);
  std::thread producer([&] { EXPECT_FALSE(full.push(2)); });
  BoundedQueue<int> empty(1);
  std::thread consumer([&] { EXPECT_EQ(empty.pop(), std::nullopt); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  full.abort();
  empty.abort();
  producer.join();
  consumer.join();
  EXPECT_EQ(full.pop(), std::nullopt);  // abort drops what was queued
}

}  // namespace
}  // namespace resr
