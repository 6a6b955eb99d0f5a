// The SQLite store (authgate/session/sqlite_store.h, docs/SESSIONS.md "SQLite"): the
// five store parts over one connection under one lock. Here: the class, with the
// records, the session index, the audit log and the in-process revocation hub. Beside
// it: the file, its pragmas and migrations (sqlite_schema.h), the prepared statements
// and error reporting (sqlite_statement.h), values and locks (sqlite_kv.h), and how
// other processes' writes reach the session cache (sqlite_version_watch.h, over
// change_counter.h).
#include "authgate/session/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <mutex>

#include "session/local_revocation_hub.h"
#include "session/sqlite/change_counter.h"
#include "session/sqlite/sqlite_kv.h"
#include "session/sqlite/sqlite_schema.h"
#include "session/sqlite/sqlite_statement.h"
#include "session/sqlite/sqlite_version_watch.h"

namespace authgate::session {
namespace {

using detail::Database;
using detail::StatementCache;
using detail::Stmt;

constexpr const char* kColumns =
    "key, public_id, subject, sid, created_at, expires_at, version, data";

class SqliteStore final : public SessionStore {
 public:
  SqliteStore(Database db, const core::Clock& clock, size_t auditCap,
              std::unique_ptr<detail::ChangeCounter> changes)
      : db_(std::move(db)),
        statements_(db_.get()),
        clock_(clock),
        auditCap_(auditCap),
        kv_(mu_, db_.get(), statements_, clock),
        versions_(mu_, statements_, std::move(changes)) {}
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  std::string_view backend() const override { return "sqlite"; }

  Result<void> ping() override {
    std::lock_guard lock(mu_);
    Stmt st(statements_, "SELECT 1");
    if (!st) return Errc::kStoreUnavailable;
    return st.step() == SQLITE_ROW ? Result<void>{} : Result<void>{Errc::kStoreUnavailable};
  }

  Result<StoreRecord> get(std::string_view key) override {
    const int64_t id = detail::sqliteKeyId(key);
    std::lock_guard lock(mu_);
    Stmt st(statements_, std::string("SELECT ") + kColumns +
                             " FROM sessions WHERE id = ?1 AND key = ?2 AND expires_at > ?3");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, id);
    st.bind(2, key);
    st.bind(3, nowMs());
    return one(st);
  }

  Result<StoreRecord> getByPublicId(std::string_view publicId) override {
    std::lock_guard lock(mu_);
    Stmt st(statements_, std::string("SELECT ") + kColumns +
                             " FROM sessions WHERE public_id = ?1 AND expires_at > ?2");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, publicId);
    st.bind(2, nowMs());
    return one(st);
  }

  Result<uint64_t> put(const StoreRecord& rec, Millis ttl, uint64_t expectedVersion) override {
    std::lock_guard lock(mu_);
    if (!exec("BEGIN IMMEDIATE")) return Errc::kStoreUnavailable;
    auto r = putLocked(rec, ttl, expectedVersion);
    if (!r) {
      exec("ROLLBACK");
      return r;
    }
    if (!exec("COMMIT")) {
      exec("ROLLBACK");
      return Errc::kStoreUnavailable;
    }
    changed();
    return r;
  }

  Result<void> erase(std::string_view key) override {
    const int64_t id = detail::sqliteKeyId(key);
    std::lock_guard lock(mu_);
    Stmt st(statements_, "DELETE FROM sessions WHERE id = ?1 AND key = ?2");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, id);
    st.bind(2, key);
    if (st.step() != SQLITE_DONE) return Errc::kStoreUnavailable;
    if (sqlite3_changes(db_.get()) > 0) changed();
    return {};
  }

  Result<std::vector<StoreRecord>> listBySubject(std::string_view subject) override {
    std::lock_guard lock(mu_);
    Stmt st(statements_, std::string("SELECT ") + kColumns +
                             " FROM sessions WHERE subject = ?1 AND expires_at > ?2"
                             " ORDER BY created_at, key");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, subject);
    st.bind(2, nowMs());
    return collect(st);
  }

  Result<std::vector<StoreRecord>> listBySid(std::string_view sid) override {
    if (sid.empty()) return std::vector<StoreRecord>{};
    std::lock_guard lock(mu_);
    Stmt st(statements_, std::string("SELECT ") + kColumns +
                             " FROM sessions WHERE sid = ?1 AND sid <> '' AND expires_at > ?2"
                             " ORDER BY created_at, key");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, sid);
    st.bind(2, nowMs());
    return collect(st);
  }

  // Pages in id order; the cursor is the id the next page starts at, in decimal.
  Result<RecordPage> listAll(std::string_view cursor, size_t limit) override {
    int64_t from = std::numeric_limits<int64_t>::min();
    if (!cursor.empty()) {
      auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), from);
      if (ec != std::errc() || end != cursor.data() + cursor.size()) return Errc::kNotFound;
    }
    std::lock_guard lock(mu_);
    Stmt st(statements_,
            std::string("SELECT ") + kColumns +
                ", id FROM sessions WHERE id >= ?1 AND expires_at > ?2 ORDER BY id LIMIT ?3");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, from);
    st.bind(2, nowMs());
    st.bind(3, static_cast<int64_t>(limit));
    RecordPage page;
    int64_t last = 0;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      page.records.push_back(row(st));
      last = st.i64(8);
    }
    if (rc != SQLITE_DONE) return Errc::kStoreUnavailable;
    // No id follows the largest one, so a full page ending there is the last.
    if (page.records.size() == limit && limit > 0 && last < std::numeric_limits<int64_t>::max()) {
      page.nextCursor = std::to_string(last + 1);
    }
    return page;
  }

  Result<std::vector<StoreRecord>> purgeExpired(size_t limit) override {
    std::lock_guard lock(mu_);
    // RETURNING (SQLite 3.35) hands back what was deleted, in one statement.
    Stmt st(statements_, std::string("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
                                     " WHERE expires_at <= ?1 LIMIT ?2) RETURNING ") +
                             kColumns);
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, nowMs());
    st.bind(2, static_cast<int64_t>(limit));
    auto out = collect(st);
    if (out && !out->empty()) changed();
    kv_.purgeExpiredLocked();
    return out;
  }

  // Key-value values and locks (sqlite_kv.h).
  Result<bool> tryLock(std::string_view name, std::string_view owner, Millis ttl) override {
    return kv_.tryLock(name, owner, ttl);
  }
  Result<bool> extendLock(std::string_view name, std::string_view owner, Millis ttl) override {
    return kv_.extendLock(name, owner, ttl);
  }
  Result<void> unlock(std::string_view name, std::string_view owner) override {
    return kv_.unlock(name, owner);
  }
  Result<bool> putValue(std::string_view key, std::string_view value, Millis ttl,
                        bool onlyIfAbsent) override {
    return kv_.putValue(key, value, ttl, onlyIfAbsent);
  }
  Result<std::optional<std::string>> takeValue(std::string_view key) override {
    return kv_.takeValue(key);
  }

  Result<void> appendAudit(std::string_view line) override {
    std::lock_guard lock(mu_);
    Stmt st(statements_, "INSERT INTO audit(line) VALUES (?1)");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, line);
    if (st.step() != SQLITE_DONE) return Errc::kStoreUnavailable;
    // Trim occasionally rather than on every insert; the cap is approximate by at
    // most 64 lines.
    if (sqlite3_last_insert_rowid(db_.get()) % 64 == 0) {
      Stmt trim(statements_, "DELETE FROM audit WHERE id <= ?1");
      if (trim) {
        trim.bind(1, sqlite3_last_insert_rowid(db_.get()) - static_cast<int64_t>(auditCap_));
        trim.step();
      }
    }
    return {};
  }

  Result<std::vector<std::string>> recentAudit(size_t limit) override {
    std::lock_guard lock(mu_);
    Stmt st(statements_, "SELECT line FROM audit ORDER BY id DESC LIMIT ?1");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, static_cast<int64_t>(std::min(limit, auditCap_)));
    std::vector<std::string> out;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) out.push_back(st.text(0));
    if (rc != SQLITE_DONE) return Errc::kStoreUnavailable;
    return out;
  }

  // SQLite has no cross-process notification: subscribers of this object are told, and
  // other processes' writes show in externalVersion() (sqlite_version_watch.h).
  std::optional<uint64_t> externalVersion() override { return versions_.version(); }

  Result<void> publishRevoked(std::string_view key) override {
    hub_.publish(std::string(key));
    return {};
  }
  std::unique_ptr<Subscription> subscribeRevoked(
      std::function<void(const std::string&)> onRevoked) override {
    return hub_.subscribe(std::move(onRevoked));
  }

 private:
  bool exec(const char* sql) { return detail::execSql(db_.get(), sql); }

  int64_t nowMs() const { return clock_.unixMillis(); }

  static StoreRecord row(Stmt& st) {
    StoreRecord r;
    r.key = st.text(0);
    r.publicId = st.text(1);
    r.subject = st.text(2);
    r.sid = st.text(3);
    r.createdAt = st.i64(4);
    r.expiresAtMs = st.i64(5);
    r.version = static_cast<uint64_t>(st.i64(6));
    r.data = st.text(7);
    return r;
  }

  static Result<std::vector<StoreRecord>> collect(Stmt& st) {
    std::vector<StoreRecord> out;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) out.push_back(row(st));
    if (rc != SQLITE_DONE) return Errc::kStoreUnavailable;
    return out;
  }

  // The first row of a lookup statement, or kNotFound.
  static Result<StoreRecord> one(Stmt& st) {
    int rc = st.step();
    if (rc == SQLITE_ROW) return row(st);
    if (rc == SQLITE_DONE) return Errc::kNotFound;
    return Errc::kStoreUnavailable;
  }

  // Under mu_, after a commit that changed the sessions table.
  void changed() { versions_.changed(); }

  Result<uint64_t> putLocked(const StoreRecord& rec, Millis ttl, uint64_t expectedVersion) {
    const int64_t id = detail::sqliteKeyId(rec.key);
    uint64_t current = 0;
    {
      Stmt st(statements_, "SELECT key, version FROM sessions WHERE id = ?1");
      if (!st) return Errc::kStoreUnavailable;
      st.bind(1, id);
      int rc = st.step();
      if (rc == SQLITE_ROW) {
        if (st.text(0) != rec.key) return Errc::kConflict;  // another key with this id
        current = static_cast<uint64_t>(st.i64(1));
      } else if (rc != SQLITE_DONE) {
        return Errc::kStoreUnavailable;
      }
    }
    if (expectedVersion != kAnyVersion && expectedVersion != current) return Errc::kConflict;
    // An upsert on the id only: a clash on public_id must fail, not replace the
    // other row as INSERT OR REPLACE would.
    Stmt st(statements_,
            std::string("INSERT INTO sessions(id, ") + kColumns +
                ") VALUES (?9, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE SET"
                " public_id = excluded.public_id, subject = excluded.subject,"
                " sid = excluded.sid, created_at = excluded.created_at,"
                " expires_at = excluded.expires_at, version = excluded.version,"
                " data = excluded.data");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, rec.key);
    st.bind(2, rec.publicId);
    st.bind(3, rec.subject);
    st.bind(4, rec.sid);
    st.bind(5, rec.createdAt);
    st.bind(6, nowMs() + ttl.count());
    st.bind(7, static_cast<int64_t>(current + 1));
    st.bindBlob(8, rec.data);
    st.bind(9, id);
    int rc = st.step();
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return Errc::kConflict;  // public id taken
    if (rc != SQLITE_DONE) return Errc::kStoreUnavailable;
    return current + 1;
  }

  // Destroyed in reverse: the statements are finalized before the connection closes.
  Database db_;
  StatementCache statements_;
  const core::Clock& clock_;
  size_t auditCap_;
  std::mutex mu_;  // one connection: every call holds it
  detail::SqliteKeyValue kv_;
  detail::VersionWatch versions_;
  detail::LocalRevocationHub hub_;
};

}  // namespace

Result<std::unique_ptr<SessionStore>> openSqliteStore(const SqliteStoreOptions& options,
                                                      const core::Clock& clock,
                                                      std::string* detail) {
  auto db = detail::openSqliteDatabase(options, detail);
  if (!db) return db.error();
  return std::unique_ptr<SessionStore>(std::make_unique<SqliteStore>(
      std::move(*db), clock, options.auditCap,
      detail::ChangeCounter::open(sqliteChangesFilePath(options.path), options.path)));
}

std::string sqliteChangesFilePath(std::string_view databasePath) {
  return std::string(databasePath) + ".changes";
}

}  // namespace authgate::session
