// The task store on a real SQLite file: what a write returns is what the
// next read sees, and reads never wait for a write in progress.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <future>
#include <thread>

#include "server/tasks/sqlite_task_store.hpp"
#include "support/image_files.hpp"

namespace resr::testing {
namespace {

TaskRecord queued_task(const std::string& id) {
  TaskRecord t;
  t.id = id;
  t.params.scale = 2;
  t.input_name = id + ".png";
  t.created_at = 1000;
  return t;
}

TEST(TaskStore, EveryWriteIsSeenByTheNextRead) {
  ScratchDir dir;
  auto store = SqliteTaskStore::open(dir / "tasks.sqlite3");
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  for (int i = 0; i < 200; ++i) {
    const std::string id = "t" + std::to_string(i);
    ASSERT_TRUE((*store)->insert(queued_task(id)).is_ok());
    auto found = (*store)->find(id);
    ASSERT_TRUE(found.is_ok() && found->has_value()) << id;
    EXPECT_EQ((*found)->state, TaskState::kQueued);
    EXPECT_EQ((*found)->params.scale, 2);
    auto claimed = (*store)->claim_next(2000.0 + i);
    ASSERT_TRUE(claimed.is_ok() && claimed->has_value());
    ASSERT_EQ((*claimed)->id, id);
    TaskRecord done = **claimed;
    done.state = TaskState::kSuccess;
    done.output_width = i;
    ASSERT_TRUE((*store)->update(done).is_ok());
    found = (*store)->find(id);
    ASSERT_TRUE(found.is_ok() && found->has_value());
    EXPECT_EQ((*found)->state, TaskState::kSuccess);
    EXPECT_EQ((*found)->output_width, i);
    EXPECT_EQ((*found)->started_at, 2000.0 + i);
  }
  auto queued = (*store)->queued_count();
  ASSERT_TRUE(queued.is_ok());
  EXPECT_EQ(*queued, 0);
  auto missing = (*store)->find("nothing");
  ASSERT_TRUE(missing.is_ok());
  EXPECT_FALSE(missing->has_value());
}

// Another process holds the database's write lock: a write of ours waits for
// it (up to the busy timeout), and a status read meanwhile answers at once
// from the last committed state.
TEST(TaskStore, ReadsDoNotWaitForAWriteInProgress) {
  ScratchDir dir;
  const auto file = dir / "tasks.sqlite3";
  auto store = SqliteTaskStore::open(file);
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  ASSERT_TRUE((*store)->insert(queued_task("a")).is_ok());

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::future<Result<TaskRecord>> blocked_write =
      std::async(std::launch::async, [&] { return (*store)->insert(queued_task("b")); });
  // Give the write time to take the store's write side and start waiting.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(blocked_write.wait_for(std::chrono::seconds(0)), std::future_status::timeout);

  const auto start = std::chrono::steady_clock::now();
  auto found = (*store)->find("a");
  auto queued = (*store)->queued_count();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(found.is_ok() && found->has_value());
  ASSERT_TRUE(queued.is_ok());
  EXPECT_EQ(*queued, 1);  // "b" is not committed yet
  EXPECT_LT(seconds, 1.0);

  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE(blocked_write.get().is_ok());
  auto both = (*store)->queued_count();
  ASSERT_TRUE(both.is_ok());
  EXPECT_EQ(*both, 2);
}

}  // namespace
}  // namespace resr::testing
