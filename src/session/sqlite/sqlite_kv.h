// The SQLite store's key-value part (authgate/session/kv_store.h): short-lived values
// (login transactions, replay guards) in table kv and the refresh single-flight's
// locks in table locks, on the store's connection under the store's lock. Every
// operation is one statement, so it is atomic across processes sharing the file.
#pragma once

#include <sqlite3.h>

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "authgate/core/clock.h"
#include "authgate/session/session_store.h"
#include "session/sqlite/sqlite_statement.h"

namespace authgate::session::detail {

class SqliteKeyValue {
 public:
  // `mu` is the store's lock, held around every use of `db` and `statements`.
  SqliteKeyValue(std::mutex& mu, sqlite3* db, StatementCache& statements, const core::Clock& clock)
      : mu_(mu), db_(db), statements_(statements), clock_(clock) {}
  SqliteKeyValue(const SqliteKeyValue&) = delete;
  SqliteKeyValue& operator=(const SqliteKeyValue&) = delete;

  Result<bool> putValue(std::string_view key, std::string_view value, Millis ttl,
                        bool onlyIfAbsent);
  Result<std::optional<std::string>> takeValue(std::string_view key);
  Result<bool> tryLock(std::string_view name, std::string_view owner, Millis ttl);
  Result<bool> extendLock(std::string_view name, std::string_view owner, Millis ttl);
  Result<void> unlock(std::string_view name, std::string_view owner);

  // Under the store's lock: deletes expired locks and values (best effort).
  void purgeExpiredLocked();

 private:
  int64_t nowMs() const { return clock_.unixMillis(); }

  std::mutex& mu_;
  sqlite3* db_;
  StatementCache& statements_;
  const core::Clock& clock_;
};

}  // namespace authgate::session::detail
