// Prepared statements of the SQLite store, and SQLite's error log routed to the sink
// that setSqliteErrorLog (authgate/session/sqlite_store.h) installs.
#include "session/sqlite/sqlite_statement.h"

#include <functional>

#include "authgate/session/sqlite_store.h"

namespace authgate::session {
namespace {

using SqliteLogSink = std::function<void(SqliteLogSeverity, int, std::string_view)>;

SqliteLogSink& sqliteErrorSink() {
  static SqliteLogSink sink;
  return sink;
}

SqliteLogSeverity severityOf(int code) {
  switch (code & 0xff) {
    case SQLITE_NOTICE:
    case SQLITE_WARNING:
      return SqliteLogSeverity::kNotice;
    case SQLITE_BUSY:
    case SQLITE_SCHEMA:
    case SQLITE_CONSTRAINT:  // a lost race, answered as a conflict
      return SqliteLogSeverity::kExpected;
    default:
      return SqliteLogSeverity::kFailure;
  }
}

void forwardSqliteLog(void*, int code, const char* message) {
  if (auto& sink = sqliteErrorSink()) sink(severityOf(code), code, message ? message : "");
}

}  // namespace

bool setSqliteErrorLog(SqliteLogSink sink) {
  sqliteErrorSink() = std::move(sink);
  return sqlite3_config(SQLITE_CONFIG_LOG, &forwardSqliteLog, nullptr) == SQLITE_OK;
}

namespace detail {

void reportSqliteError(sqlite3* db, int rc) {
  if (auto& sink = sqliteErrorSink()) {
    std::string what = sqlite3_errstr(rc);
    if (const std::string_view detail = sqlite3_errmsg(db); detail != what) {
      what.append(": ").append(detail);
    }
    const int code = sqlite3_extended_errcode(db);
    sink(severityOf(code), code, what);
  }
}

bool execSql(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) reportSqliteError(db, rc);
  return rc == SQLITE_OK;
}

StatementCache::~StatementCache() {
  for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
}

sqlite3_stmt* StatementCache::prepare(const std::string& sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
      SQLITE_OK) {
    return nullptr;
  }
  stmts_.emplace(sql, st);
  return st;
}

}  // namespace detail
}  // namespace authgate::session
