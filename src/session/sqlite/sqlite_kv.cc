// The SQLite store's values and locks (sqlite_kv.h).
#include "session/sqlite/sqlite_kv.h"

namespace authgate::session::detail {

Result<bool> SqliteKeyValue::tryLock(std::string_view name, std::string_view owner, Millis ttl) {
  std::lock_guard lock(mu_);
  // One statement, so atomic across processes: insert, or take over a lock that is
  // expired or already ours.
  Stmt st(statements_,
          "INSERT INTO locks(name, owner, expires_at) VALUES (?1, ?2, ?3)"
          " ON CONFLICT(name) DO UPDATE SET owner = excluded.owner,"
          " expires_at = excluded.expires_at"
          " WHERE locks.expires_at <= ?4 OR locks.owner = excluded.owner");
  if (!st) return Errc::kStoreUnavailable;
  int64_t now = nowMs();
  st.bind(1, name);
  st.bind(2, owner);
  st.bind(3, now + ttl.count());
  st.bind(4, now);
  if (st.step() != SQLITE_DONE) return Errc::kStoreUnavailable;
  return sqlite3_changes(db_) == 1;
}

Result<bool> SqliteKeyValue::extendLock(std::string_view name, std::string_view owner, Millis ttl) {
  std::lock_guard lock(mu_);
  Stmt st(statements_,
          "UPDATE locks SET expires_at = ?3 WHERE name = ?1 AND owner = ?2 AND expires_at > ?4");
  if (!st) return Errc::kStoreUnavailable;
  int64_t now = nowMs();
  st.bind(1, name);
  st.bind(2, owner);
  st.bind(3, now + ttl.count());
  st.bind(4, now);
  if (st.step() != SQLITE_DONE) return Errc::kStoreUnavailable;
  return sqlite3_changes(db_) == 1;
}

Result<void> SqliteKeyValue::unlock(std::string_view name, std::string_view owner) {
  std::lock_guard lock(mu_);
  Stmt st(statements_, "DELETE FROM locks WHERE name = ?1 AND owner = ?2");
  if (!st) return Errc::kStoreUnavailable;
  st.bind(1, name);
  st.bind(2, owner);
  if (st.step() != SQLITE_DONE) return Errc::kStoreUnavailable;
  return {};
}

Result<bool> SqliteKeyValue::putValue(std::string_view key, std::string_view value, Millis ttl,
                                      bool onlyIfAbsent) {
  std::lock_guard lock(mu_);
  // One statement each way, so atomic across processes sharing the file.
  Stmt st(statements_, onlyIfAbsent ? "INSERT INTO kv(key, value, expires_at) VALUES (?1, ?2, ?3)"
                                      " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
                                      " expires_at = excluded.expires_at WHERE kv.expires_at <= ?4"
                                    : "INSERT INTO kv(key, value, expires_at) VALUES (?1, ?2, ?3)"
                                      " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
                                      " expires_at = excluded.expires_at WHERE ?4 = ?4");
  if (!st) return Errc::kStoreUnavailable;
  const int64_t now = nowMs();
  st.bind(1, key);
  st.bind(2, value);
  st.bind(3, now + ttl.count());
  st.bind(4, now);
  if (st.step() != SQLITE_DONE) return Errc::kStoreUnavailable;
  return sqlite3_changes(db_) == 1;
}

Result<std::optional<std::string>> SqliteKeyValue::takeValue(std::string_view key) {
  std::lock_guard lock(mu_);
  Stmt st(statements_, "DELETE FROM kv WHERE key = ?1 RETURNING value, expires_at");
  if (!st) return Errc::kStoreUnavailable;
  st.bind(1, key);
  std::optional<std::string> out;
  int rc = st.step();
  if (rc == SQLITE_ROW) {
    if (st.i64(1) > nowMs()) out = st.text(0);
    rc = st.step();
  }
  if (rc != SQLITE_DONE) return Errc::kStoreUnavailable;
  return out;
}

void SqliteKeyValue::purgeExpiredLocked() {
  Stmt locks(statements_, "DELETE FROM locks WHERE expires_at <= ?1");
  if (locks) {
    locks.bind(1, nowMs());
    locks.step();
  }
  Stmt values(statements_, "DELETE FROM kv WHERE expires_at <= ?1");
  if (values) {
    values.bind(1, nowMs());
    values.step();
  }
}

}  // namespace authgate::session::detail
