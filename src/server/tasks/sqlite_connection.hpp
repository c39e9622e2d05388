// One SQLite connection and the statements prepared on it, kept prepared:
// parsing a query costs more than running it (a status poll's lookup by id
// spent half its time in sqlite3_prepare), so each distinct SQL text is
// prepared once per connection. Used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>

#include "resr/status.hpp"

namespace resr {

class SqliteConnection {
 public:
  // `flags` as for sqlite3_open_v2 (SQLITE_OPEN_NOMUTEX is added). Errors: kIoError.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::filesystem::path& file,
                                                        int flags);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* handle() const { return db_; }
  // The statement for `sql`, reset and with no bindings; nullptr when it does
  // not prepare (sqlite3_errmsg says why).
  sqlite3_stmt* statement(const std::string& sql);
  Status exec(const char* sql);

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace resr
