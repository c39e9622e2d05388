#include "server/tasks/sqlite_task_store.hpp"

#include "server/http/request_admission.hpp"

namespace resr {

namespace {

// A write waits for the writer lock and the disk (every commit is synced): a
// request gives its admission slot up meanwhile.
struct WriteLock {
  explicit WriteLock(std::mutex& writer) : lock(writer) {}
  RequestAdmission::Waiting waiting;
  std::lock_guard<std::mutex> lock;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tasks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  params TEXT NOT NULL,
  sync INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT UNIQUE,
  input_path TEXT NOT NULL DEFAULT '',
  input_name TEXT NOT NULL DEFAULT '',
  output_path TEXT NOT NULL DEFAULT '',
  method TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  error_code TEXT NOT NULL DEFAULT '',
  input_width INTEGER NOT NULL DEFAULT 0,
  input_height INTEGER NOT NULL DEFAULT 0,
  output_width INTEGER NOT NULL DEFAULT 0,
  output_height INTEGER NOT NULL DEFAULT 0,
  output_bytes INTEGER NOT NULL DEFAULT 0,
  created_at REAL NOT NULL,
  started_at REAL NOT NULL DEFAULT 0,
  finished_at REAL NOT NULL DEFAULT 0,
  expires_at REAL NOT NULL DEFAULT 0,
  expired INTEGER NOT NULL DEFAULT 0,
  request_digest TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tasks_by_state ON tasks (state, sync, seq);
)sql";

constexpr const char* kColumns =
    "id, state, params, sync, idempotency_key, input_path, input_name, output_path, method, "
    "error, error_code, input_width, input_height, output_width, output_height, output_bytes, "
    "created_at, started_at, finished_at, expires_at, expired, request_digest";

constexpr double kKeepExpiredRowsSeconds = 86400;

// A statement of a connection's cache for one use: reset when it goes away,
// so no finished read keeps its snapshot of the database open.
class Statement {
 public:
  Statement(SqliteConnection& connection, const std::string& sql)
      : db_(connection.handle()), stmt_(connection.statement(sql)) {}
  ~Statement() { sqlite3_reset(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Status prepared() const {
    return stmt_ ? Status::ok() : failure("cannot prepare a task store query");
  }
  void bind(int i, const std::string& text) {
    sqlite3_bind_text(stmt_, i, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind_or_null(int i, const std::string& text) {
    if (text.empty()) {
      sqlite3_bind_null(stmt_, i);
    } else {
      bind(i, text);
    }
  }
  void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, int v) { sqlite3_bind_int(stmt_, i, v); }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  std::string text(int i) const {
    const auto* p = sqlite3_column_text(stmt_, i);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
  double number(int i) const { return sqlite3_column_double(stmt_, i); }
  Status failure(const std::string& what) const {
    return error(ErrorCode::kIoError, what + ": " + sqlite3_errmsg(db_));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

TaskRecord read_row(const Statement& s) {
  TaskRecord t;
  t.id = s.text(0);
  t.state = task_state_from_name(s.text(1)).value_or(TaskState::kFailed);
  t.params = task_parameters_from_json(nlohmann::json::parse(s.text(2), nullptr, false));
  t.sync = s.integer(3) != 0;
  t.idempotency_key = s.text(4);
  t.input_path = s.text(5);
  t.input_name = s.text(6);
  t.output_path = s.text(7);
  t.method = s.text(8);
  t.error = s.text(9);
  t.error_code = s.text(10);
  t.input_width = static_cast<int>(s.integer(11));
  t.input_height = static_cast<int>(s.integer(12));
  t.output_width = static_cast<int>(s.integer(13));
  t.output_height = static_cast<int>(s.integer(14));
  t.output_bytes = s.integer(15);
  t.created_at = s.number(16);
  t.started_at = s.number(17);
  t.finished_at = s.number(18);
  t.expires_at = s.number(19);
  t.expired = s.integer(20) != 0;
  t.request_digest = s.text(21);
  return t;
}

}  // namespace

Result<std::unique_ptr<SqliteTaskStore>> SqliteTaskStore::open(const std::filesystem::path& file) {
  RESR_ASSIGN_OR_RETURN(auto writer,
                        SqliteConnection::open(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema}) {
    RESR_RETURN_IF_ERROR(writer->exec(sql).with_context("task store " + file.string()));
  }
  // A store made before tasks kept their request's digest gains the column.
  if (!writer->exec("SELECT request_digest FROM tasks LIMIT 0").is_ok()) {
    RESR_RETURN_IF_ERROR(
        writer->exec("ALTER TABLE tasks ADD COLUMN request_digest TEXT NOT NULL DEFAULT ''")
            .with_context("task store " + file.string()));
  }
  return std::unique_ptr<SqliteTaskStore>(new SqliteTaskStore(std::move(writer), file));
}

SqliteTaskStore::~SqliteTaskStore() = default;

void SqliteTaskStore::ReaderReturn::operator()(SqliteConnection* reader) const {
  {
    std::lock_guard<std::mutex> lock(store->readers_mutex_);
    store->idle_readers_.emplace_back(reader);
  }
  store->reader_returned_.notify_one();
}

Result<SqliteTaskStore::ReaderLease> SqliteTaskStore::lease_reader() {
  std::unique_lock<std::mutex> lock(readers_mutex_);
  reader_returned_.wait(lock,
                        [this] { return !idle_readers_.empty() || open_readers_ < kMaxReaders; });
  if (!idle_readers_.empty()) {
    SqliteConnection* reader = idle_readers_.back().release();
    idle_readers_.pop_back();
    return ReaderLease(reader, ReaderReturn{this});
  }
  ++open_readers_;
  lock.unlock();
  auto reader = SqliteConnection::open(file_, SQLITE_OPEN_READONLY);
  if (!reader.is_ok()) {
    lock.lock();
    --open_readers_;
    reader_returned_.notify_one();
    return reader.status();
  }
  return ReaderLease(std::move(*reader).release(), ReaderReturn{this});
}

Result<std::vector<TaskRecord>> SqliteTaskStore::query(SqliteConnection& db,
                                                       const std::string& where,
                                                       const std::string& bind, double bind_number,
                                                       bool number) {
  Statement s(db, std::string("SELECT ") + kColumns + " FROM tasks " + where);
  RESR_RETURN_IF_ERROR(s.prepared());
  if (number) {
    s.bind(1, bind_number);
  } else if (!bind.empty()) {
    s.bind(1, bind);
  }
  std::vector<TaskRecord> rows;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) rows.push_back(read_row(s));
  if (rc != SQLITE_DONE) return s.failure("cannot read the task store");
  return rows;
}

Result<TaskRecord> SqliteTaskStore::insert(const TaskRecord& task) {
  WriteLock lock(write_mutex_);
  if (!task.idempotency_key.empty()) {
    RESR_ASSIGN_OR_RETURN(auto existing,
                          query(*writer_, "WHERE idempotency_key = ?1", task.idempotency_key));
    if (!existing.empty()) return existing.front();
  }
  Statement s(*writer_,
              "INSERT INTO tasks (id, state, params, sync, idempotency_key, input_path, "
              "input_name, input_width, input_height, created_at, request_digest) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  RESR_RETURN_IF_ERROR(s.prepared());
  s.bind(1, task.id);
  s.bind(2, std::string(task_state_name(task.state)));
  s.bind(3, to_json(task.params).dump());
  s.bind(4, task.sync ? 1 : 0);
  s.bind_or_null(5, task.idempotency_key);
  s.bind(6, task.input_path);
  s.bind(7, task.input_name);
  s.bind(8, task.input_width);
  s.bind(9, task.input_height);
  s.bind(10, task.created_at);
  s.bind(11, task.request_digest);
  if (s.step() != SQLITE_DONE) return s.failure("cannot store task " + task.id);
  return task;
}

Result<std::optional<TaskRecord>> SqliteTaskStore::find(const std::string& id) {
  return find_one("WHERE id = ?1", id);
}

Result<std::optional<TaskRecord>> SqliteTaskStore::find_by_idempotency_key(const std::string& key) {
  return find_one("WHERE idempotency_key = ?1", key);
}

Result<std::optional<TaskRecord>> SqliteTaskStore::find_one(const std::string& where,
                                                            const std::string& bind) {
  RESR_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  RESR_ASSIGN_OR_RETURN(auto rows, query(*reader, where, bind));
  if (rows.empty()) return std::optional<TaskRecord>();
  return std::optional<TaskRecord>(rows.front());
}

Result<int> SqliteTaskStore::queued_count() {
  RESR_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  Statement s(*reader, "SELECT COUNT(*) FROM tasks WHERE state = 'queued' AND sync = 0");
  RESR_RETURN_IF_ERROR(s.prepared());
  if (s.step() != SQLITE_ROW) return s.failure("cannot count queued tasks");
  return static_cast<int>(s.integer(0));
}

Result<std::optional<TaskRecord>> SqliteTaskStore::claim_next(double now, bool sync_only) {
  WriteLock lock(write_mutex_);
  RESR_ASSIGN_OR_RETURN(auto rows,
                        query(*writer_, sync_only ? "WHERE state = 'queued' AND sync = 1 "
                                                    "ORDER BY seq ASC LIMIT 1"
                                                  : "WHERE state = 'queued' "
                                                    "ORDER BY sync DESC, seq ASC LIMIT 1"));
  if (rows.empty()) return std::optional<TaskRecord>();
  TaskRecord task = rows.front();
  Statement s(*writer_, "UPDATE tasks SET state = 'running', started_at = ?2 WHERE id = ?1");
  RESR_RETURN_IF_ERROR(s.prepared());
  s.bind(1, task.id);
  s.bind(2, now);
  if (s.step() != SQLITE_DONE) return s.failure("cannot start task " + task.id);
  task.state = TaskState::kRunning;
  task.started_at = now;
  return std::optional<TaskRecord>(task);
}

Status SqliteTaskStore::update(const TaskRecord& t) {
  WriteLock lock(write_mutex_);
  Statement s(*writer_,
              "UPDATE tasks SET state = ?2, output_path = ?3, method = ?4, error = ?5, "
              "error_code = ?6, input_width = ?7, input_height = ?8, output_width = ?9, "
              "output_height = ?10, output_bytes = ?11, started_at = ?12, finished_at = ?13, "
              "expires_at = ?14, expired = ?15 WHERE id = ?1");
  RESR_RETURN_IF_ERROR(s.prepared());
  s.bind(1, t.id);
  s.bind(2, std::string(task_state_name(t.state)));
  s.bind(3, t.output_path);
  s.bind(4, t.method);
  s.bind(5, t.error);
  s.bind(6, t.error_code);
  s.bind(7, t.input_width);
  s.bind(8, t.input_height);
  s.bind(9, t.output_width);
  s.bind(10, t.output_height);
  s.bind(11, t.output_bytes);
  s.bind(12, t.started_at);
  s.bind(13, t.finished_at);
  s.bind(14, t.expires_at);
  s.bind(15, t.expired ? 1 : 0);
  if (s.step() != SQLITE_DONE) return s.failure("cannot update task " + t.id);
  return Status::ok();
}

Result<bool> SqliteTaskStore::cancel_if_queued(const std::string& id, double now) {
  WriteLock lock(write_mutex_);
  Statement s(*writer_,
              "UPDATE tasks SET state = 'canceled', finished_at = ?2, error = 'canceled by the "
              "client' WHERE id = ?1 AND state = 'queued'");
  RESR_RETURN_IF_ERROR(s.prepared());
  s.bind(1, id);
  s.bind(2, now);
  if (s.step() != SQLITE_DONE) return s.failure("cannot cancel task " + id);
  return sqlite3_changes(writer_->handle()) > 0;
}

Result<int> SqliteTaskStore::recover_interrupted(double now) {
  WriteLock lock(write_mutex_);
  Statement failed(*writer_,
                   "UPDATE tasks SET state = 'failed', finished_at = ?1, error_code = "
                   "'unavailable', error = 'the server stopped while this synchronous request "
                   "ran; send it again' WHERE sync = 1 AND state IN ('queued', 'running')");
  RESR_RETURN_IF_ERROR(failed.prepared());
  failed.bind(1, now);
  if (failed.step() != SQLITE_DONE) return failed.failure("cannot recover tasks");
  Statement requeue(*writer_,
                    "UPDATE tasks SET state = 'queued', started_at = 0 WHERE state = 'running'");
  RESR_RETURN_IF_ERROR(requeue.prepared());
  if (requeue.step() != SQLITE_DONE) return requeue.failure("cannot recover tasks");
  return sqlite3_changes(writer_->handle());
}

Result<std::vector<TaskRecord>> SqliteTaskStore::expire(double now) {
  WriteLock lock(write_mutex_);
  RESR_ASSIGN_OR_RETURN(
      auto rows,
      query(*writer_, "WHERE expired = 0 AND expires_at > 0 AND expires_at <= ?1", {}, now, true));
  Statement mark(*writer_,
                 "UPDATE tasks SET expired = 1 WHERE expired = 0 AND expires_at > 0 AND "
                 "expires_at <= ?1");
  RESR_RETURN_IF_ERROR(mark.prepared());
  mark.bind(1, now);
  if (mark.step() != SQLITE_DONE) return mark.failure("cannot expire results");
  Statement purge(*writer_, "DELETE FROM tasks WHERE expired = 1 AND expires_at <= ?1");
  RESR_RETURN_IF_ERROR(purge.prepared());
  purge.bind(1, now - kKeepExpiredRowsSeconds);
  if (purge.step() != SQLITE_DONE) return purge.failure("cannot purge expired tasks");
  return rows;
}

Result<std::vector<std::pair<std::string, int>>> SqliteTaskStore::count_by_state() {
  RESR_ASSIGN_OR_RETURN(ReaderLease reader, lease_reader());
  Statement s(*reader, "SELECT state, COUNT(*) FROM tasks WHERE expired = 0 GROUP BY state");
  RESR_RETURN_IF_ERROR(s.prepared());
  std::vector<std::pair<std::string, int>> counts;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    counts.emplace_back(s.text(0), static_cast<int>(s.integer(1)));
  if (rc != SQLITE_DONE) return s.failure("cannot count tasks");
  return counts;
}

}  // namespace resr
