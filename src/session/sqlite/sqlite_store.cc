#include "authgate/session/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <mutex>

#include "authgate/core/crypto.h"
#include "session/local_revocation_hub.h"
#include "session/sqlite/change_counter.h"

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

// A failed statement's reason, for the operator (SQLite logs only some of them itself:
// a full disk found at commit is not).
void reportError(sqlite3* db, int rc) {
  if (auto& sink = sqliteErrorSink()) {
    std::string what = sqlite3_errstr(rc);
    if (const std::string_view detail = sqlite3_errmsg(db); detail != what) {
      what.append(": ").append(detail);
    }
    const int code = sqlite3_extended_errcode(db);
    sink(severityOf(code), code, what);
  }
}

// Migrations, in order. Never edit one that has shipped: append a new one.
constexpr const char* kMigrations[] = {
    // 1: sessions keyed by the id hash, indexes for the manager's lookups, locks for
    // the refresh single-flight, and the capped audit list. A rowid table, not
    // WITHOUT ROWID: records are kilobytes (encrypted tokens), larger than the rows
    // WITHOUT ROWID suits (https://sqlite.org/withoutrowid.html s4).
    R"sql(
CREATE TABLE sessions (
  id         INTEGER PRIMARY KEY,
  key        TEXT NOT NULL UNIQUE,
  public_id  TEXT NOT NULL UNIQUE,
  subject    TEXT NOT NULL,
  sid        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  version    INTEGER NOT NULL,
  data       BLOB NOT NULL
);
CREATE INDEX sessions_subject ON sessions(subject, created_at);
CREATE INDEX sessions_sid ON sessions(sid) WHERE sid <> '';
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE TABLE locks (
  name       TEXT PRIMARY KEY,
  owner      TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE audit (
  id   INTEGER PRIMARY KEY AUTOINCREMENT,
  line TEXT NOT NULL
);
)sql",
    // 2: short-lived values beside the sessions (login transactions, replay guards).
    R"sql(
CREATE TABLE kv (
  key        TEXT PRIMARY KEY,
  value      BLOB NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX kv_expires ON kv(expires_at);
)sql",
    // 3: sessions keyed by a 64-bit id derived from the key (keyId below), so a
    // lookup is one search of the table's own B-tree. Version 1 searched the key's
    // index and then the table: two leaf pages per lookup, each a cold read once the
    // store outgrows memory (docs/BENCHMARKS.md "Sessions"). The key stays in the row
    // and every statement compares it, so two keys sharing an id (a 64-bit collision
    // of SHA-256) can never read or overwrite each other: the second put fails.
    // Rebuilding copies every row once, inside the migration's transaction, in id
    // order: only the (id, old rowid) pairs are sorted, and the new table is written
    // front to back instead of at random places, which took twice as long when tried.
    // The indexes, public_id's unique one included, are built after the copy, each
    // by one sort, rather than updated row by row at random places.
    R"sql(
CREATE TABLE sessions_by_id (
  id         INTEGER PRIMARY KEY,
  key        TEXT NOT NULL,
  public_id  TEXT NOT NULL,
  subject    TEXT NOT NULL,
  sid        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  version    INTEGER NOT NULL,
  data       BLOB NOT NULL
);
CREATE TEMP TABLE migrate_ids AS
  SELECT authgate_key_id(key) AS id, rowid AS old FROM sessions ORDER BY 1;
INSERT INTO sessions_by_id
  SELECT m.id, s.key, s.public_id, s.subject, s.sid, s.created_at, s.expires_at, s.version,
         s.data
  FROM migrate_ids m CROSS JOIN sessions s ON s.rowid = m.old ORDER BY m.rowid;
DROP TABLE migrate_ids;
DROP TABLE sessions;
ALTER TABLE sessions_by_id RENAME TO sessions;
CREATE UNIQUE INDEX sessions_public_id ON sessions(public_id);
CREATE INDEX sessions_subject ON sessions(subject, created_at);
CREATE INDEX sessions_sid ON sessions(sid) WHERE sid <> '';
CREATE INDEX sessions_expires ON sessions(expires_at);
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

constexpr const char* kColumns =
    "key, public_id, subject, sid, created_at, expires_at, version, data";

// The row id of a key: the first 8 bytes of its SHA-256. Keys are already hashes of
// 256-bit cookies, but the store accepts any key, and a cryptographic hash keeps ids
// spread and collisions out of reach of anyone choosing keys.
int64_t keyId(std::string_view key) {
  const auto digest = core::sha256(key);
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | digest[i];
  return static_cast<int64_t>(v);
}

// keyId as an SQL function, for migration 3.
void sqlKeyId(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* text = sqlite3_value_text(argv[0]);
  const int n = sqlite3_value_bytes(argv[0]);
  sqlite3_result_int64(
      ctx, keyId(std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(n))));
}

class SqliteStore final : public SessionStore {
 public:
  SqliteStore(sqlite3* db, const core::Clock& clock, size_t auditCap,
              std::unique_ptr<detail::ChangeCounter> changes)
      : db_(db), clock_(clock), auditCap_(auditCap), changes_(std::move(changes)) {}
  ~SqliteStore() override {
    for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
  }

  std::string_view backend() const override { return "sqlite"; }

  Result<void> ping() override {
    std::lock_guard lock(mu_);
    Stmt st(this, "SELECT 1");
    if (!st) return Errc::kStoreUnavailable;
    return st.step() == SQLITE_ROW ? Result<void>{} : Result<void>{Errc::kStoreUnavailable};
  }

  Result<StoreRecord> get(std::string_view key) override {
    const int64_t id = keyId(key);
    std::lock_guard lock(mu_);
    Stmt st(this, std::string("SELECT ") + kColumns +
                      " FROM sessions WHERE id = ?1 AND key = ?2 AND expires_at > ?3");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, id);
    st.bind(2, key);
    st.bind(3, nowMs());
    return one(st);
  }

  Result<StoreRecord> getByPublicId(std::string_view publicId) override {
    std::lock_guard lock(mu_);
    Stmt st(this, std::string("SELECT ") + kColumns +
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
    const int64_t id = keyId(key);
    std::lock_guard lock(mu_);
    Stmt st(this, "DELETE FROM sessions WHERE id = ?1 AND key = ?2");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, id);
    st.bind(2, key);
    if (st.step() != SQLITE_DONE) return Errc::kStoreUnavailable;
    if (sqlite3_changes(db_) > 0) changed();
    return {};
  }

  Result<std::vector<StoreRecord>> listBySubject(std::string_view subject) override {
    std::lock_guard lock(mu_);
    Stmt st(this, std::string("SELECT ") + kColumns +
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
    Stmt st(this, std::string("SELECT ") + kColumns +
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
    Stmt st(this, std::string("SELECT ") + kColumns +
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
    Stmt st(this, std::string("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
                              " WHERE expires_at <= ?1 LIMIT ?2) RETURNING ") +
                      kColumns);
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, nowMs());
    st.bind(2, static_cast<int64_t>(limit));
    auto out = collect(st);
    if (out && !out->empty()) changed();
    Stmt locks(this, "DELETE FROM locks WHERE expires_at <= ?1");
    if (locks) {
      locks.bind(1, nowMs());
      locks.step();
    }
    Stmt values(this, "DELETE FROM kv WHERE expires_at <= ?1");
    if (values) {
      values.bind(1, nowMs());
      values.step();
    }
    return out;
  }

  Result<bool> tryLock(std::string_view name, std::string_view owner, Millis ttl) override {
    std::lock_guard lock(mu_);
    // One statement, so atomic across processes: insert, or take over a lock that is
    // expired or already ours.
    Stmt st(this,
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

  Result<bool> extendLock(std::string_view name, std::string_view owner, Millis ttl) override {
    std::lock_guard lock(mu_);
    Stmt st(this,
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

  Result<void> unlock(std::string_view name, std::string_view owner) override {
    std::lock_guard lock(mu_);
    Stmt st(this, "DELETE FROM locks WHERE name = ?1 AND owner = ?2");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, name);
    st.bind(2, owner);
    if (st.step() != SQLITE_DONE) return Errc::kStoreUnavailable;
    return {};
  }

  Result<bool> putValue(std::string_view key, std::string_view value, Millis ttl,
                        bool onlyIfAbsent) override {
    std::lock_guard lock(mu_);
    // One statement each way, so atomic across processes sharing the file.
    Stmt st(this, onlyIfAbsent ? "INSERT INTO kv(key, value, expires_at) VALUES (?1, ?2, ?3)"
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

  Result<std::optional<std::string>> takeValue(std::string_view key) override {
    std::lock_guard lock(mu_);
    Stmt st(this, "DELETE FROM kv WHERE key = ?1 RETURNING value, expires_at");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, key);
    std::optional<std::string> out;
    int rc = st.step();
    if (rc == SQLITE_ROW) {
      if (sqlite3_column_int64(st.raw(), 1) > nowMs()) out = st.text(0);
      rc = st.step();
    }
    if (rc != SQLITE_DONE) return Errc::kStoreUnavailable;
    return out;
  }

  Result<void> appendAudit(std::string_view line) override {
    std::lock_guard lock(mu_);
    Stmt st(this, "INSERT INTO audit(line) VALUES (?1)");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, line);
    if (st.step() != SQLITE_DONE) return Errc::kStoreUnavailable;
    // Trim occasionally rather than on every insert; the cap is approximate by at
    // most 64 lines.
    if (sqlite3_last_insert_rowid(db_) % 64 == 0) {
      Stmt trim(this, "DELETE FROM audit WHERE id <= ?1");
      if (trim) {
        trim.bind(1, sqlite3_last_insert_rowid(db_) - static_cast<int64_t>(auditCap_));
        trim.step();
      }
    }
    return {};
  }

  Result<std::vector<std::string>> recentAudit(size_t limit) override {
    std::lock_guard lock(mu_);
    Stmt st(this, "SELECT line FROM audit ORDER BY id DESC LIMIT ?1");
    if (!st) return Errc::kStoreUnavailable;
    st.bind(1, static_cast<int64_t>(std::min(limit, auditCap_)));
    std::vector<std::string> out;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) out.push_back(st.text(0));
    if (rc != SQLITE_DONE) return Errc::kStoreUnavailable;
    return out;
  }

  // SQLite has no cross-process notification: subscribers of this object are told, and
  // other processes' writes show in externalVersion(): the other processes' bumps of
  // the shared change counter (change_counter.h), read without the store's lock, and
  // PRAGMA data_version, which also sees writers that do not bump, checked at most
  // every kBackstop. Without a counter, data_version on every call.
  std::optional<uint64_t> externalVersion() override {
    if (!changes_) {
      std::lock_guard lock(mu_);
      return dataVersionLocked();
    }
    return (changes_->foreign() << 32) ^ backstopVersion();
  }

  Result<void> publishRevoked(std::string_view key) override {
    hub_.publish(std::string(key));
    return {};
  }
  std::unique_ptr<Subscription> subscribeRevoked(
      std::function<void(const std::string&)> onRevoked) override {
    return hub_.subscribe(std::move(onRevoked));
  }

 private:
  // A cached prepared statement, reset and unbound when the wrapper goes away.
  class Stmt {
   public:
    Stmt(SqliteStore* s, const std::string& sql) : st_(s->prepare(sql)) {}
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
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) reportError(sqlite3_db_handle(st_), rc);
      return rc;
    }
    sqlite3_stmt* raw() { return st_; }
    int64_t i64(int c) { return sqlite3_column_int64(st_, c); }
    std::string text(int c) {
      const void* p = sqlite3_column_blob(st_, c);
      int n = sqlite3_column_bytes(st_, c);
      return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
    }

   private:
    sqlite3_stmt* st_;
  };

  sqlite3_stmt* prepare(const std::string& sql) {
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

  bool exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) reportError(db_, rc);
    return rc == SQLITE_OK;
  }

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

  // Under mu_. Changes when another connection (any process) committed.
  uint64_t dataVersionLocked() {
    Stmt st(this, "PRAGMA data_version");
    if (st && st.step() == SQLITE_ROW) return static_cast<uint64_t>(st.i64(0));
    return unknownVersion_--;  // cannot tell: a value never returned before
  }

  // data_version as of the last check, checked again when kBackstop has passed and the
  // store's lock is free at that moment (a write holding it may be waiting for its
  // fsync; the next call tries again, and waits for the lock once the check is a
  // second late).
  uint64_t backstopVersion() {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t due = backstopDue_.load();
    if (now >= due && backstopDue_.compare_exchange_strong(due, now + kBackstop.count())) {
      std::unique_lock lock(mu_, std::defer_lock);
      // Skipped while the lock is busy, but never for more than a second: a store
      // kept busy without a break still gets its check.
      if (now - due > std::chrono::nanoseconds(std::chrono::seconds(1)).count() && due != 0) {
        lock.lock();
      } else {
        (void)lock.try_lock();
      }
      if (lock.owns_lock()) {
        backstop_.store(dataVersionLocked());
      } else {
        backstopDue_.store(due);
      }
    }
    return backstop_.load();
  }

  // Under mu_, after a commit that changed the sessions table and before the caller
  // answers: other processes' caches see it from then on.
  void changed() {
    if (changes_) changes_->bump();
  }

  Result<uint64_t> putLocked(const StoreRecord& rec, Millis ttl, uint64_t expectedVersion) {
    const int64_t id = keyId(rec.key);
    uint64_t current = 0;
    {
      Stmt st(this, "SELECT key, version FROM sessions WHERE id = ?1");
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
    Stmt st(this, std::string("INSERT INTO sessions(id, ") + kColumns +
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

  sqlite3* db_;
  const core::Clock& clock_;
  size_t auditCap_;
  std::mutex mu_;
  std::map<std::string, sqlite3_stmt*> stmts_;
  uint64_t unknownVersion_ = UINT64_MAX;
  std::unique_ptr<detail::ChangeCounter> changes_;
  static constexpr std::chrono::nanoseconds kBackstop = std::chrono::milliseconds(100);
  std::atomic<int64_t> backstopDue_{0};  // steady_clock, nanoseconds since its epoch
  std::atomic<uint64_t> backstop_{0};
  detail::LocalRevocationHub hub_;
};

std::string describe(sqlite3* db, const std::string& path, const char* what) {
  return "session store: cannot " + std::string(what) + " sqlite database '" + path +
         "': " + (db ? sqlite3_errmsg(db) : "out of memory");
}

// Applies missing migrations inside one BEGIN IMMEDIATE transaction, so two processes
// starting together migrate once.
Result<void> migrate(sqlite3* db, std::string* detail, const std::string& path) {
  auto fail = [&](Errc e, const char* what) -> Result<void> {
    if (detail) *detail = describe(db, path, what);
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return e;
  };
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(Errc::kStoreOpenFailed, "lock");
  }
  if (sqlite3_exec(db,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(Errc::kStoreOpenFailed, "initialise");
  }
  int current = 0;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &st,
                         nullptr) != SQLITE_OK) {
    return fail(Errc::kStoreOpenFailed, "read the schema version of");
  }
  if (sqlite3_step(st) == SQLITE_ROW) current = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (current > kSchemaVersion) {
    if (detail) {
      *detail = "session store: sqlite database '" + path + "' has schema version " +
                std::to_string(current) + ", newer than this authgate (" +
                std::to_string(kSchemaVersion) + ")";
    }
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return Errc::kSchemaTooNew;
  }
  const bool migrating = current < kSchemaVersion;
  for (int v = current + 1; v <= kSchemaVersion; ++v) {
    std::string sql = std::string(kMigrations[v - 1]) +
                      "INSERT INTO schema_migrations(version, applied_at) VALUES (" +
                      std::to_string(v) + ", strftime('%s','now'));";
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail(Errc::kStoreOpenFailed, "migrate");
    }
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(Errc::kStoreOpenFailed, "migrate");
  }
  // A rebuild leaves a WAL as large as the table; copy it back and shrink it now
  // rather than keep the file at that size for as long as the process runs. Best
  // effort: another process reading the file can delay it, which is harmless.
  if (migrating) sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  return {};
}

}  // namespace

bool setSqliteErrorLog(SqliteLogSink sink) {
  sqliteErrorSink() = std::move(sink);
  return sqlite3_config(SQLITE_CONFIG_LOG, &forwardSqliteLog, nullptr) == SQLITE_OK;
}

int sqliteSchemaVersion() { return kSchemaVersion; }

Result<std::unique_ptr<SessionStore>> openSqliteStore(const SqliteStoreOptions& options,
                                                      const core::Clock& clock,
                                                      std::string* detail) {
  // A new database is created owner-only before SQLite opens it: it holds emails, IP
  // addresses and pending login transactions (state, nonce, PKCE verifier). SQLite
  // gives its -wal and -shm files the database's permission bits, and so does the
  // change counter (change_counter.cc), whatever the umask. An existing file keeps the
  // bits its operator gave it.
  if (options.path != ":memory:" && !options.path.empty()) {
    int fd =
        ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) ::close(fd);
  }
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(options.path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  auto fail = [&](const char* what, Errc e = Errc::kStoreOpenFailed) {
    if (detail && (e == Errc::kStoreOpenFailed)) *detail = describe(db, options.path, what);
    sqlite3_close_v2(db);
    return e;
  };
  if (rc != SQLITE_OK) return fail("open");
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busyTimeout.count()));
  // WAL: readers never block the writer, and several processes may share the file
  // (https://sqlite.org/wal.html). It needs a local filesystem (no NFS).
  sqlite3_stmt* st = nullptr;
  std::string mode;
  if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(st, 0);
    mode = t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_finalize(st);
  if (mode != "wal") return fail("enable WAL on");
  // NORMAL: in WAL mode a commit survives a process crash, and only a power loss can
  // undo the last transactions (sessions, not money). 16 MB of page cache per
  // connection.
  //
  // mmap: once mapped (the first touch is a page fault), a page is read without a
  // read() call and a copy into SQLite's page cache, which are most of a lookup's
  // cost once the store outgrows that cache (docs/BENCHMARKS.md "Sessions"). The request is larger
  // than any store; SQLite silently caps it at its compile-time SQLITE_MAX_MMAP_SIZE (2 GB,
  // 0x7fff0000, in the usual 64-bit builds, including Debian's) and maps no more than the file.
  // Only address space: the pages are the OS page cache's, shared by every process
  // on the file. A store larger than the cap reads the rest through read().
  //
  // The page size stays SQLite's default (4 KB): a record (about 3 KB) fits in one
  // leaf page, and 16 KB pages, tried, made lookups beyond the mmap window slower
  // (each read() copies 16 KB) and every put writes four times the WAL bytes.
  std::string pragmas = std::string("PRAGMA synchronous=") + (options.fsync ? "NORMAL" : "OFF") +
                        "; PRAGMA mmap_size=1099511627776; PRAGMA cache_size=-16000";
  if (sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("configure");
  }
  if (sqlite3_create_function(db, "authgate_key_id", 1,
                              SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, nullptr,
                              sqlKeyId, nullptr, nullptr) != SQLITE_OK) {
    return fail("configure");
  }
  if (auto m = migrate(db, detail, options.path); !m) {
    Errc e = m.error() == make_error_code(Errc::kSchemaTooNew) ? Errc::kSchemaTooNew
                                                               : Errc::kStoreOpenFailed;
    sqlite3_close_v2(db);
    return e;
  }
  return std::unique_ptr<SessionStore>(std::make_unique<SqliteStore>(
      db, clock, options.auditCap,
      detail::ChangeCounter::open(sqliteChangesFilePath(options.path), options.path)));
}

std::string sqliteChangesFilePath(std::string_view databasePath) {
  return std::string(databasePath) + ".changes";
}

}  // namespace authgate::session
