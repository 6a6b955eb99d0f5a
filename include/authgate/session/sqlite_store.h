// SQLite store, the embedded default: one database file shared safely by several
// processes on one host (WAL journal, busy timeout, every read-modify-write in a
// BEGIN IMMEDIATE transaction). The schema is versioned; migrations run at open.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "authgate/core/clock.h"
#include "authgate/session/session_store.h"

namespace authgate::session {

struct SqliteStoreOptions {
  std::string path;                             // database file
  std::chrono::milliseconds busyTimeout{2000};  // wait for another process's write lock
  size_t auditCap = 10000;
  // false: PRAGMA synchronous=OFF, no fsync at all. Only for benchmarks filling
  // millions of rows; a crash of the machine may then corrupt the file.
  bool fsync = true;
};

// kStoreOpenFailed when the file cannot be opened, is not a database or cannot be
// migrated; kSchemaTooNew when a newer authgate migrated it. `detail` (optional)
// receives a one-line explanation naming the path, for the operator.
Result<std::unique_ptr<SessionStore>> openSqliteStore(const SqliteStoreOptions& options,
                                                      const core::Clock& clock,
                                                      std::string* detail = nullptr);

// `<path>.changes`: the counter through which processes sharing the file tell each
// other's session caches that sessions changed (docs/SESSIONS.md "Session cache").
std::string sqliteChangesFilePath(std::string_view databasePath);

// Routes SQLite's own error log (sqlite3_log: "database or disk is full", I/O errors,
// corruption, each with its extended result code) to `sink`, so an operator sees why
// a store call failed, not only that it did. Process-wide; call it before any database
// is opened (SQLite accepts it only before its first use); false when too late. The
// messages carry SQL text with placeholders, never bound values.
//
// `severity` is SQLite's own: kNotice for its notices and warnings (a WAL recovered),
// kExpected for what the store handles itself (busy, a schema change, a constraint
// race answered as a conflict), kFailure for the rest (full disk, I/O, corruption).
enum class SqliteLogSeverity { kNotice, kExpected, kFailure };
bool setSqliteErrorLog(
    std::function<void(SqliteLogSeverity severity, int code, std::string_view message)> sink);

// The schema version this build migrates to.
int sqliteSchemaVersion();

}  // namespace authgate::session
