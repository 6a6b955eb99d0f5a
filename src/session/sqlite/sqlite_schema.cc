// The SQLite store's schema and file: the migrations (the stored layout), the key's
// row id, opening the file owner-only with WAL and the store's pragmas, and migrating
// it at open, once, under BEGIN IMMEDIATE.
#include "session/sqlite/sqlite_schema.h"

#include <fcntl.h>
#include <unistd.h>

#include <iterator>

#include "authgate/core/crypto.h"

namespace authgate::session {
namespace {

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
    // 3: sessions keyed by a 64-bit id derived from the key (sqliteKeyId below), so a
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

// sqliteKeyId as an SQL function, for migration 3.
void sqlKeyId(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* text = sqlite3_value_text(argv[0]);
  const int n = sqlite3_value_bytes(argv[0]);
  sqlite3_result_int64(ctx, detail::sqliteKeyId(std::string_view(
                                reinterpret_cast<const char*>(text), static_cast<size_t>(n))));
}

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

int sqliteSchemaVersion() { return kSchemaVersion; }

namespace detail {

// The row id of a key: the first 8 bytes of its SHA-256. Keys are already hashes of
// 256-bit cookies, but the store accepts any key, and a cryptographic hash keeps ids
// spread and collisions out of reach of anyone choosing keys.
int64_t sqliteKeyId(std::string_view key) {
  const auto digest = core::sha256(key);
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | digest[i];
  return static_cast<int64_t>(v);
}

Result<Database> openSqliteDatabase(const SqliteStoreOptions& options, std::string* detail) {
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
  return Database(db);
}

}  // namespace detail
}  // namespace authgate::session
