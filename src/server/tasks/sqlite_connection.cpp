#include "server/tasks/sqlite_connection.hpp"

#include <mutex>

namespace resr {

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::filesystem::path& file,
                                                                 int flags) {
  // SQLite counts every allocation under one process-wide mutex unless told
  // not to; with many threads reading, that mutex is contended on every query.
  static std::once_flag no_memory_statistics;
  std::call_once(no_memory_statistics, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(db));
  if (rc != SQLITE_OK) {
    return error(ErrorCode::kIoError, "cannot open the task store " + file.string() + ": " +
                                          (db ? sqlite3_errmsg(db) : "out of memory"));
  }
  sqlite3_busy_timeout(db, 5000);
  return connection;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

sqlite3_stmt* SqliteConnection::statement(const std::string& sql) {
  auto found = statements_.find(sql);
  if (found != statements_.end()) {
    sqlite3_reset(found->second);
    sqlite3_clear_bindings(found->second);
    return found->second;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    return nullptr;
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

Status SqliteConnection::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Status s = error(ErrorCode::kIoError, std::string("SQLite: ") + (message ? message : "error"));
    sqlite3_free(message);
    return s;
  }
  return Status::ok();
}

}  // namespace resr
