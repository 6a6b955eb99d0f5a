#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

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

TEST(SqliteStore, ConcurrentWritersFromTwoConnectionsAllLand) {
  core::ManualClock clock;
  TempDir dir;
  std::string path = dir.file("s.db");
  auto a = openSqliteStore({path}, clock);
  auto b = openSqliteStore({path}, clock);
  ASSERT_TRUE(a && b);
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
  std::thread ta([&] { writer(**a, "a"); });
  std::thread tb([&] { writer(**b, "b"); });
  ta.join();
  tb.join();
  EXPECT_EQ((*a)->listBySubject("u")->size(), 400u);
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

TEST(StoreFactory, ParsesTheThreeStoreSettings) {
  EXPECT_EQ(parseStoreUri("memory")->kind, StoreKind::kMemory);
  auto s = parseStoreUri("sqlite:/var/lib/authgate/a.db");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, StoreKind::kSqlite);
  EXPECT_EQ(s->sqlitePath, "/var/lib/authgate/a.db");
  EXPECT_EQ(parseStoreUri("redis://h:6380/2")->kind, StoreKind::kRedis);
  for (const char* bad : {"", "sqlite:", "postgres://x", "redis://", "redis://h:0", "Memory"}) {
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
