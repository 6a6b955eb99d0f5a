// The SQLite store's statements (sqlite_store.cc): a cache of prepared statements on
// one connection, the wrapper that borrows one for a call and resets it afterwards,
// and how a failed statement is reported (through setSqliteErrorLog's sink, never
// with bound values). The caller holds the store's lock around every use.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace authgate::session::detail {

// Closes the connection (sqlite3_close_v2) when the owner goes.
struct DatabaseClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, DatabaseClose>;

// A failed statement's reason, for the operator (SQLite logs only some of them itself:
// a full disk found at commit is not).
void reportSqliteError(sqlite3* db, int rc);

// sqlite3_exec without results; a failure is reported.
bool execSql(sqlite3* db, const char* sql);

// Statements prepared once (SQLITE_PREPARE_PERSISTENT) by their SQL text, finalized
// when the cache goes, before the connection closes.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // Null when SQLite cannot prepare it.
  sqlite3_stmt* prepare(const std::string& sql);

 private:
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*> stmts_;
};

// A cached prepared statement, reset and unbound when the wrapper goes away.
class Stmt {
 public:
  Stmt(StatementCache& cache, const std::string& sql) : st_(cache.prepare(sql)) {}
  ~Stmt() {
    if (st_) {
      sqlite3_reset(st_);
      sqlite3_clear_bindings(st_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  explicit operator bool() const { return st_ != nullptr; }
  void bind(int i, std::string_view v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(st_, i, v); }
  void bindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  int step() {
    const int rc = sqlite3_step(st_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) reportSqliteError(sqlite3_db_handle(st_), rc);
    return rc;
  }
  int64_t i64(int c) { return sqlite3_column_int64(st_, c); }
  std::string text(int c) {
    const void* p = sqlite3_column_blob(st_, c);
    int n = sqlite3_column_bytes(st_, c);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
  }

 private:
  sqlite3_stmt* st_;
};

}  // namespace authgate::session::detail
