// The job server's tasks in an embedded SQLite database (WAL, synchronous=FULL:
// a state change that returned has reached the disk, so a kill -9 loses
// nothing accepted). Safe to call from any thread.
//
// Writes go through one connection, one at a time. Reads (status polls) use
// their own read-only connections: in WAL mode they see the last committed
// state without waiting for a write in progress, so a poll never waits behind
// the worker's fsync (the worker runs at background priority, and a poll
// queued behind it would wait as long as the scheduler keeps it off a core).
#pragma once

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "resr/status.hpp"
#include "server/tasks/sqlite_connection.hpp"
#include "server/tasks/task.hpp"
#include "server/tasks/task_store.hpp"

namespace resr {

class SqliteTaskStore final : public TaskStore {
 public:
  // Creates the database and its table when missing. Errors: kIoError.
  static Result<std::unique_ptr<SqliteTaskStore>> open(const std::filesystem::path& file);
  ~SqliteTaskStore() override;
  SqliteTaskStore(const SqliteTaskStore&) = delete;
  SqliteTaskStore& operator=(const SqliteTaskStore&) = delete;

  Result<TaskRecord> insert(const TaskRecord& task) override;
  Result<std::optional<TaskRecord>> find(const std::string& id) override;
  Result<std::optional<TaskRecord>> find_by_idempotency_key(const std::string& key) override;
  Result<int> queued_count() override;
  Result<std::optional<TaskRecord>> claim_next(double now, bool sync_only = false) override;
  Status update(const TaskRecord& task) override;
  Result<bool> cancel_if_queued(const std::string& id, double now) override;
  Result<int> recover_interrupted(double now) override;
  Result<std::vector<TaskRecord>> expire(double now) override;
  Status keep_output(TaskRecord&) override { return Status::ok(); }
  Result<OutputFile> output_file(const TaskRecord& task) override {
    return OutputFile{task.output_path, false};
  }
  bool report_progress(const std::string&, int, int) override { return false; }
  Result<bool> request_cancel(const std::string&) override { return false; }
  // Counts by state.
  Result<std::vector<std::pair<std::string, int>>> count_by_state();

 private:
  // A read-only connection lent to one caller, returned when it goes away.
  struct ReaderReturn {
    SqliteTaskStore* store;
    void operator()(SqliteConnection* reader) const;
  };
  using ReaderLease = std::unique_ptr<SqliteConnection, ReaderReturn>;
  // Opened on first need. In the server only admitted requests (one per
  // core) and its own threads read at once, so few are ever open; the cap
  // bounds callers without admission, where a holder can be preempted and a
  // read should not wait for a connection.
  static constexpr int kMaxReaders = 128;

  SqliteTaskStore(std::unique_ptr<SqliteConnection> writer, std::filesystem::path file)
      : writer_(std::move(writer)), file_(std::move(file)) {}
  Result<ReaderLease> lease_reader();
  static Result<std::vector<TaskRecord>> query(SqliteConnection& db, const std::string& where,
                                               const std::string& bind = {}, double bind_number = 0,
                                               bool number = false);
  // The task `where` selects on a read connection, or none.
  Result<std::optional<TaskRecord>> find_one(const std::string& where, const std::string& bind);

  std::mutex write_mutex_;
  std::unique_ptr<SqliteConnection> writer_;  // guarded by write_mutex_
  const std::filesystem::path file_;
  std::mutex readers_mutex_;
  std::condition_variable reader_returned_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;  // guarded by readers_mutex_
  int open_readers_ = 0;                                         // guarded by readers_mutex_
};

}  // namespace resr
