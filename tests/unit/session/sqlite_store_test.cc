#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "authgate/core/clock.h"
#include "authgate/session/sqlite_store.h"
#include "authgate/session/store_factory.h"
#include "authgate/session/token_cipher.h"
#include "test_support.h"

namespace authgate::session {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

bool isErr(const error_code& ec, Errc e) { return ec == make_error_code(e); }

int scalar(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  int v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

TEST(SqliteStore, OpenInMissingDirectoryIsAClearError) {
  core::ManualClock clock;
  std::string detail;
  auto s = openSqliteStore({"/nonexistent-authgate-dir/sub/sessions.db"}, clock, &detail);
  ASSERT_FALSE(s);
  EXPECT_TRUE(isErr(s.error(), Errc::kStoreOpenFailed));
  EXPECT_NE(detail.find("/nonexistent-authgate-dir/sub/sessions.db"), std::string::npos) << detail;
  EXPECT_NE(detail.find("unable to open"), std::string::npos) << detail;
}

TEST(SqliteStore, OpenOfADirectoryIsAClearError) {
  core::ManualClock clock;
  TempDir dir;
  std::string detail;
  auto s = openSqliteStore({dir.path().string()}, clock, &detail);
  ASSERT_FALSE(s);
  EXPECT_TRUE(isErr(s.error(), Errc::kStoreOpenFailed));
  EXPECT_FALSE(detail.empty());
}

TEST(SqliteStore, OpenOfAFileThatIsNotADatabaseFails) {
  core::ManualClock clock;
  TempDir dir;
  std::ofstream(dir.file("junk.db")) << std::string(4096, 'x');
  std::string detail;
  auto s = openSqliteStore({dir.file("junk.db")}, clock, &detail);
  ASSERT_FALSE(s);
  EXPECT_TRUE(isErr(s.error(), Errc::kStoreOpenFailed));
  EXPECT_NE(detail.find("junk.db"), std::string::npos) << detail;
}

TEST(SqliteStore, FactoryReportsTheSameOpenFailure) {
  core::ManualClock clock;
  std::string detail;
  auto s = openStore("sqlite:/nonexistent-authgate-dir/a.db", clock, &detail);
  ASSERT_FALSE(s);
  EXPECT_TRUE(isErr(s.error(), Errc::kStoreOpenFailed));
  EXPECT_FALSE(detail.empty());
}

TEST(SqliteStore, CreatesWalDatabaseWithVersionedSchema) {
  core::ManualClock clock;
  TempDir dir;
  std::string path = dir.file("s.db");
  { ASSERT_TRUE(openSqliteStore({path}, clock)); }
  { ASSERT_TRUE(openSqliteStore({path}, clock)) << "reopening migrates nothing twice"; }
  EXPECT_EQ(scalar(path, "SELECT MAX(version) FROM schema_migrations"), sqliteSchemaVersion());
  EXPECT_EQ(scalar(path, "SELECT COUNT(*) FROM schema_migrations"), sqliteSchemaVersion());
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(SqliteStore, RefusesASchemaFromANewerVersion) {
  core::ManualClock clock;
  TempDir dir;
  std::string path = dir.file("s.db");
  { ASSERT_TRUE(openSqliteStore({path}, clock)); }
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (999, 0)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::string detail;
  auto s = openSqliteStore({path}, clock, &detail);
  ASSERT_FALSE(s);
  EXPECT_TRUE(isErr(s.error(), Errc::kSchemaTooNew));
  EXPECT_NE(detail.find("999"), std::string::npos) << detail;
}

TEST(SqliteStore, DataSurvivesReopen) {
  core::ManualClock clock;
  TempDir dir;
  std::string path = dir.file("s.db");
  StoreRecord r;
  r.key = "k";
  r.publicId = "p";
  r.subject = "alice";
  r.data = "d";
  {
    auto s = openSqliteStore({path}, clock);
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->put(r, 60s, kMustNotExist));
  }
  auto s = openSqliteStore({path}, clock);
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->get("k")->data, "d");
}

// Runs `sql` on its own connection to the file; false on any error.
bool exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  bool ok = sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
            sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

std::string queryPlan(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  std::string plan;
  if (sqlite3_prepare_v2(db, (std::string("EXPLAIN QUERY PLAN ") + sql).c_str(), -1, &st,
                         nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
      plan += '\n';
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return plan;
}

// A database as authgate wrote it at schema version 2 (sessions found through an
// index on the key), holding one live and one expired session.
void writeVersion2Database(const std::string& path) {
  ASSERT_TRUE(exec(path, R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
INSERT INTO schema_migrations VALUES (1, 0), (2, 0);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, public_id TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL, sid TEXT NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, version INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX sessions_subject ON sessions(subject, created_at);
CREATE INDEX sessions_sid ON sessions(sid) WHERE sid <> '';
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE TABLE locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)
  WITHOUT ROWID;
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL);
CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at INTEGER NOT NULL)
  WITHOUT ROWID;
CREATE INDEX kv_expires ON kv(expires_at);
INSERT INTO sessions(key, public_id, subject, sid, created_at, expires_at, version, data)
  VALUES ('live-key', 'live-pub', 'alice', 'sid-1', 5, 2000000000000, 4, 'live-data'),
         ('old-key', 'old-pub', 'alice', '', 1, 1, 1, 'old-data');
INSERT INTO audit(line) VALUES ('{"event":"login"}');
)sql"));
}

TEST(SqliteStore, MigratesAVersion2DatabaseKeepingEverySession) {
  core::ManualClock clock;  // 2023: live-key expires in 2033, old-key expired in 1970
  TempDir dir;
  std::string path = dir.file("s.db");
  writeVersion2Database(path);
  auto s = openSqliteStore({path}, clock);
  ASSERT_TRUE(s);
  EXPECT_EQ(scalar(path, "SELECT MAX(version) FROM schema_migrations"), sqliteSchemaVersion());
  auto live = (*s)->get("live-key");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->publicId, "live-pub");
  EXPECT_EQ(live->sid, "sid-1");
  EXPECT_EQ(live->version, 4u);
  EXPECT_EQ(live->data, "live-data");
  EXPECT_EQ((*s)->getByPublicId("live-pub")->key, "live-key");
  EXPECT_EQ((*s)->listBySid("sid-1")->size(), 1u);
  EXPECT_EQ((*s)->recentAudit(10)->size(), 1u);
  EXPECT_TRUE(isErr((*s)->get("old-key").error(), Errc::kNotFound));
  // The migrated row takes writes at its version, and the indexes still work.
  StoreRecord next = *live;
  next.data = "updated";
  EXPECT_EQ(*(*s)->put(next, 60s, 4), 5u);
  EXPECT_TRUE(isErr((*s)->put(next, 60s, 4).error(), Errc::kConflict));
  EXPECT_EQ((*s)->get("live-key")->data, "updated");
  auto purged = (*s)->purgeExpired(10);
  ASSERT_TRUE(purged);
  ASSERT_EQ(purged->size(), 1u);
  EXPECT_EQ(purged->front().key, "old-key");
  clock.advance(std::chrono::hours(24 * 365 * 20));  // past live-key's expiry too
  EXPECT_EQ((*s)->purgeExpired(10)->size(), 1u);
  EXPECT_EQ(scalar(path, "SELECT COUNT(*) FROM sessions"), 0);
}

TEST(SqliteStore, ALookupSearchesOnlyTheTablesOwnTree) {
  core::ManualClock clock;
  TempDir dir;
  std::string path = dir.file("s.db");
  { ASSERT_TRUE(openSqliteStore({path}, clock)); }
  // The statement get() runs; one search by row id, no index on the key.
  std::string plan = queryPlan(path,
                               "SELECT data FROM sessions WHERE id = 1 AND key = 'k' "
                               "AND expires_at > 0");
  EXPECT_NE(plan.find("INTEGER PRIMARY KEY"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("INDEX"), std::string::npos) << plan;
  EXPECT_EQ(scalar(path,
                   "SELECT COUNT(*) FROM pragma_index_list('sessions') l, "
                   "pragma_index_info(l.name) i WHERE l.\"unique\" = 1"),
            1)
      << "one unique index, of one column";
  EXPECT_EQ(scalar(path,
                   "SELECT COUNT(*) FROM pragma_index_list('sessions') l, "
                   "pragma_index_info(l.name) i WHERE i.name = 'key'"),
            0)
      << "no index on the key to maintain";
}

TEST(SqliteStore, TwoKeysSharingAnIdNeverTouchEachOther) {
  core::ManualClock clock;
  TempDir dir;
  std::string path = dir.file("s.db");
  auto s = openSqliteStore({path}, clock);
  ASSERT_TRUE(s);
  StoreRecord r;
  r.key = "first";
  r.publicId = "p1";
  r.subject = "alice";
  r.data = "first-data";
  ASSERT_TRUE((*s)->put(r, 60s, kMustNotExist));
  // No 64-bit collision of SHA-256 is known, so make one: the row under first's id
  // now claims another key, as a colliding key's row would.
  ASSERT_TRUE(exec(path, "UPDATE sessions SET key = 'other' WHERE key = 'first'"));
  EXPECT_TRUE(isErr((*s)->get("first").error(), Errc::kNotFound));
  EXPECT_TRUE(isErr((*s)->put(r, 60s, kAnyVersion).error(), Errc::kConflict));
  EXPECT_TRUE(isErr((*s)->put(r, 60s, kMustNotExist).error(), Errc::kConflict));
  EXPECT_TRUE((*s)->erase("first"));
  EXPECT_EQ(scalar(path,
                   "SELECT COUNT(*) FROM sessions WHERE key = 'other' AND "
                   "CAST(data AS TEXT) = 'first-data'"),
            1)
      << "the other key's row is neither overwritten nor erased";
}

TEST(SqliteStore, ListAllRejectsACursorItNeverIssued) {
  core::ManualClock clock;
  TempDir dir;
  auto s = openSqliteStore({dir.file("s.db")}, clock);
  ASSERT_TRUE(s);
  for (const char* bad : {"key100", "12x", " 5", "99999999999999999999"}) {
    EXPECT_FALSE((*s)->listAll(bad, 10)) << bad;
  }
  EXPECT_TRUE((*s)->listAll("-5", 10));
}

// Two store objects on one file: two connections, as two processes would have.
struct TwoConnections {
  core::ManualClock clock;
  TempDir dir;
  std::string path = dir.file("s.db");
  Result<std::unique_ptr<SessionStore>> a = openSqliteStore({path}, clock);
  Result<std::unique_ptr<SessionStore>> b = openSqliteStore({path}, clock);
};

TEST(SqliteStore, ConcurrentWritersFromTwoConnectionsAllLand) {
  TwoConnections two;
  ASSERT_TRUE(two.a && two.b);
  auto writer = [&](SessionStore& s, const std::string& prefix) {
    for (int i = 0; i < 200; ++i) {
      StoreRecord r;
      r.key = prefix + std::to_string(i);
      r.publicId = r.key;
      r.subject = "u";
      r.data = "x";
      ASSERT_TRUE(s.put(r, 60s, kMustNotExist));
    }
  };
  std::thread ta([&] { writer(**two.a, "a"); });
  std::thread tb([&] { writer(**two.b, "b"); });
  ta.join();
  tb.join();
  EXPECT_EQ((*two.a)->listBySubject("u")->size(), 400u);
}

TEST(SqliteStore, SeparateProcessesShareTheFile) {
  core::ManualClock clock;
  TempDir dir;
  std::string path = dir.file("s.db");
  { ASSERT_TRUE(openSqliteStore({path}, clock)); }  // migrate once up front
  auto fill = [&](SessionStore& s, const std::string& prefix) {
    for (int i = 0; i < 100; ++i) {
      StoreRecord r;
      r.key = prefix + std::to_string(i);
      r.publicId = r.key;
      r.subject = "u";
      r.data = "x";
      if (!s.put(r, 60s, kMustNotExist)) return false;
    }
    return true;
  };
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Another process: its own connection, concurrent writes, then it takes a lock
    // and exits holding it.
    auto s = openSqliteStore({path}, clock);
    bool ok = s && fill(**s, "child") && *(*s)->tryLock("refresh:k", "child", 60s);
    ::_exit(ok ? 0 : 1);
  }
  auto s = openSqliteStore({path}, clock);
  ASSERT_TRUE(s);
  EXPECT_TRUE(fill(**s, "parent"));
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ((*s)->listBySubject("u")->size(), 200u);
  EXPECT_FALSE(*(*s)->tryLock("refresh:k", "parent", 60s)) << "the other process holds it";
}

// Other processes' session writes reach externalVersion() through the shared change
// counter (session/sqlite/change_counter.h): at once, and never this store's own.
TEST(SqliteStore, AnotherConnectionsSessionWriteChangesTheVersionAtOnceOwnWritesDoNot) {
  TwoConnections two;
  ASSERT_TRUE(two.a && two.b);
  SessionStore& a = **two.a;
  SessionStore& b = **two.b;
  EXPECT_TRUE(std::filesystem::is_regular_file(sqliteChangesFilePath(two.path)));
  const auto start = a.externalVersion();
  ASSERT_TRUE(a.put(testing::minimalRecord("mine"), 60s, kMustNotExist));
  ASSERT_TRUE(a.erase("mine"));
  EXPECT_EQ(a.externalVersion(), start) << "its own writes never empty its own cache";

  for (int i = 0; i < 3; ++i) {
    const auto before = a.externalVersion();
    ASSERT_TRUE(b.put(testing::minimalRecord("theirs" + std::to_string(i)), 60s, kMustNotExist));
    EXPECT_NE(a.externalVersion(), before) << "no wait: a put by another connection";
  }
  const auto beforeErase = a.externalVersion();
  ASSERT_TRUE(b.erase("theirs0"));
  EXPECT_NE(a.externalVersion(), beforeErase) << "an erase by another connection";
  const auto beforeNoop = a.externalVersion();
  ASSERT_TRUE(b.erase("never-stored"));
  EXPECT_EQ(a.externalVersion(), beforeNoop) << "an erase that removed nothing";
}

TEST(SqliteStore, AWriterThatDoesNotBumpTheCounterIsSeenWithinTheBackstop) {
  core::ManualClock clock;
  TempDir dir;
  std::string path = dir.file("s.db");
  auto a = openSqliteStore({path}, clock);
  ASSERT_TRUE(a);
  ASSERT_TRUE((*a)->put(testing::minimalRecord("k"), 60s, kMustNotExist));
  const auto before = (*a)->externalVersion();
  // The sqlite3 shell, or an older authgate: commits without touching the counter.
  ASSERT_TRUE(exec(path, "UPDATE sessions SET data = 'revoked-by-hand'"));
  auto deadline = std::chrono::steady_clock::now() + 2s;
  auto now = (*a)->externalVersion();
  while (now == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    now = (*a)->externalVersion();
  }
  EXPECT_NE(now, before) << "PRAGMA data_version, checked every 100 ms, catches it";
}

TEST(SqliteStore, WithoutTheCounterFileEveryCallChecksTheFile) {
  core::ManualClock clock;
  TempDir dir;
  std::string path = dir.file("s.db");
  std::filesystem::create_directory(sqliteChangesFilePath(path));  // cannot be mapped
  auto a = openSqliteStore({path}, clock);
  auto b = openSqliteStore({path}, clock);
  ASSERT_TRUE(a && b) << "a missing counter never stops the store";
  const auto start = (*a)->externalVersion();
  ASSERT_TRUE((*a)->put(testing::minimalRecord("mine"), 60s, kMustNotExist));
  EXPECT_EQ((*a)->externalVersion(), start);
  ASSERT_TRUE((*b)->put(testing::minimalRecord("theirs"), 60s, kMustNotExist));
  EXPECT_NE((*a)->externalVersion(), start) << "data_version at once, as before the counter";
  const auto afterB = (*a)->externalVersion();
  ASSERT_TRUE(exec(path, "UPDATE sessions SET data = 'by-hand'"));
  EXPECT_NE((*a)->externalVersion(), afterB);
}

TEST(StoreFactory, ParsesTheFourStoreSettings) {
  EXPECT_EQ(parseStoreUri("memory")->kind, StoreKind::kMemory);
  auto s = parseStoreUri("sqlite:/var/lib/authgate/a.db");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, StoreKind::kSqlite);
  EXPECT_EQ(s->sqlitePath, "/var/lib/authgate/a.db");
  EXPECT_EQ(parseStoreUri("redis://h:6380/2")->kind, StoreKind::kRedis);
  EXPECT_EQ(parseStoreUri("postgres://x/db")->kind, StoreKind::kPostgres);
  for (const char* bad :
       {"", "sqlite:", "postgres://x?bogus=1", "mysql://x", "redis://", "redis://h:0", "Memory"}) {
    auto r = parseStoreUri(bad);
    EXPECT_FALSE(r) << bad;
  }
}

}  // namespace
}  // namespace authgate::session

namespace authgate::session {
namespace {

core::Random& rng() { return core::OpenSslRandom::instance(); }

TEST(ResolveKeys, SqliteWithoutKeysCreatesAKeyFileBesideTheDatabase) {
  testing::TempDir dir;
  auto loc = parseStoreUri("sqlite:" + dir.file("authgate.db"));
  auto first = resolveKeys({}, "", *loc, rng());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->createdFile, dir.file("authgate.db.key"));
  ASSERT_EQ(first->keys.size(), 1u);
  auto second = resolveKeys({}, "", *loc, rng());
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->createdFile.empty()) << "created once, then reused";
  EXPECT_EQ(second->keys, first->keys);
}

TEST(ResolveKeys, ConfiguredKeysComeFirstThenTheKeyFile) {
  testing::TempDir dir;
  core::Secret a = generateKey(rng()), b = generateKey(rng());
  std::ofstream(dir.file("keys")) << b.reveal() << "\n";
  auto r = resolveKeys({a}, dir.file("keys"), *parseStoreUri("redis://h:1"), rng());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->keys, (std::vector<core::Secret>{a, b}));
  EXPECT_TRUE(r->createdFile.empty());
}

TEST(ResolveKeys, RedisNeedsAConfiguredKeyAndBadKeysFailAtStart) {
  EXPECT_TRUE(
      isErr(resolveKeys({}, "", *parseStoreUri("redis://h:1"), rng()).error(), Errc::kNoKey));
  EXPECT_TRUE(
      isErr(resolveKeys({core::Secret("short")}, "", *parseStoreUri("memory"), rng()).error(),
            Errc::kBadKey));
  auto mem = resolveKeys({}, "", *parseStoreUri("memory"), rng());
  ASSERT_TRUE(mem);
  EXPECT_TRUE(mem->ephemeral);
}

}  // namespace
}  // namespace authgate::session
