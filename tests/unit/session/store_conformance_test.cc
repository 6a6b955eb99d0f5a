// One suite per part of the store contract (session_store.h), each run against every
// backend: memory, SQLite on real files, Redis on a real redis-server and PostgreSQL on
// a real postgres server, each started by the test. A backend is correct when it passes all of
// them. Each suite reaches the backend only through its part's interface:
//   KeyValueConformance    KeyValueStore   (values, put-if-absent, take, locks)
//   RecordsConformance     SessionRecords  (records, compare-and-set, purge)
//   IndexConformance       SessionIndex    (by subject, by sid, paging)
//   RevocationConformance  RevocationBus
//   AuditLogConformance    AuditLog, and the manager's StoreAuditSink over it
//   SharedConformance      two store objects on one backend (two processes)
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "authgate/core/clock.h"
#include "authgate/core/random.h"
#include "authgate/session/memory_store.h"
#include "authgate/session/postgres_store.h"
#include "authgate/session/redis_store.h"
#include "authgate/session/session_manager.h"
#include "authgate/session/sqlite_store.h"
#include "postgres_server.h"
#include "test_support.h"

namespace authgate::session {
namespace {

using namespace std::chrono_literals;
using testing::PostgresServer;
using testing::RedisServer;
using testing::TempDir;

enum class Backend { kMemory, kSqlite, kRedis, kPostgres };

std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  switch (info.param) {
    case Backend::kMemory:
      return "Memory";
    case Backend::kSqlite:
      return "Sqlite";
    case Backend::kRedis:
      return "Redis";
    case Backend::kPostgres:
      return "Postgres";
  }
  return "Unknown";
}

const auto kAllBackends =
    ::testing::Values(Backend::kMemory, Backend::kSqlite, Backend::kRedis, Backend::kPostgres);
// Backends whose second store object sees the first one's data (memory is per object by
// design).
const auto kSharedBackends =
    ::testing::Values(Backend::kSqlite, Backend::kRedis, Backend::kPostgres);
// Backends with a channel between processes (SQLite keeps no cache and its waiters rely on
// their timer: docs/SESSIONS.md, docs/LIFECYCLE.md).
const auto kNetworkBackends = ::testing::Values(Backend::kRedis, Backend::kPostgres);

bool isErr(const error_code& ec, Errc e) { return ec == make_error_code(e); }

StoreRecord record(std::string key, std::string subject, std::string sid, int64_t created,
                   std::string data = "payload") {
  StoreRecord r;
  r.key = key;
  r.publicId = "pub-" + key;
  r.subject = std::move(subject);
  r.sid = std::move(sid);
  r.createdAt = created;
  r.data = std::move(data);
  return r;
}

std::vector<std::string> keysOf(const std::vector<StoreRecord>& recs) {
  std::vector<std::string> out;
  for (auto& r : recs) out.push_back(r.key);
  return out;
}

class BackendFixture : public ::testing::TestWithParam<Backend> {
 protected:
  static constexpr size_t kAuditCap = 5;

  void SetUp() override {
    if (GetParam() == Backend::kRedis) redis_.emplace();
    if (GetParam() == Backend::kPostgres) postgres_.emplace();
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    redis_.reset();     // kills redis-server by PID, whatever the test outcome
    postgres_.reset();  // stops postgres by PID, likewise
  }

  // Another store object on the same data: another process, as far as the backend
  // can tell (SQLite: its own connection to the file; Redis, PostgreSQL: its own
  // connections).
  std::unique_ptr<SessionStore> open(size_t auditCap = kAuditCap) {
    switch (GetParam()) {
      case Backend::kMemory:
        return makeMemoryStore(clock_, auditCap);
      case Backend::kSqlite: {
        auto s = openSqliteStore({dir_.file("sessions.db"), 2000ms, auditCap}, clock_);
        EXPECT_TRUE(s) << (s ? "" : s.error().message());
        return s ? std::move(*s) : nullptr;
      }
      case Backend::kRedis: {
        RedisStoreOptions o;
        o.port = redis_->port();
        o.auditCap = auditCap;
        return makeRedisStore(o, clock_);
      }
      case Backend::kPostgres: {
        PostgresStoreOptions o;
        o.uri = postgres_->uri();
        o.auditCap = auditCap;
        std::string detail;
        auto s = openPostgresStore(o, clock_, &detail);
        EXPECT_TRUE(s) << detail;
        return s ? std::move(*s) : nullptr;
      }
    }
    return nullptr;
  }

  // Record expiry follows the store's (injected) clock on every backend.
  void advance(std::chrono::milliseconds d) { clock_.advance(d); }
  // Redis lock TTLs are Redis's own (SET PX), so real time must pass as well
  // (PostgreSQL's follow the store's clock, like SQLite's).
  void advanceLockTime(std::chrono::milliseconds d) {
    clock_.advance(d);
    if (GetParam() == Backend::kRedis) std::this_thread::sleep_for(d);
  }

  core::ManualClock clock_;
  TempDir dir_;
  std::optional<RedisServer> redis_;
  std::optional<PostgresServer> postgres_;
  std::unique_ptr<SessionStore> store_;
};

class KeyValueConformance : public BackendFixture {
 protected:
  KeyValueStore& kv() { return *store_; }
};
class RecordsConformance : public BackendFixture {
 protected:
  SessionRecords& records() { return *store_; }
};
class IndexConformance : public BackendFixture {
 protected:
  SessionRecords& records() { return *store_; }
  SessionIndex& index() { return *store_; }
};
class RevocationConformance : public BackendFixture {
 protected:
  RevocationBus& bus() { return *store_; }
};
class AuditLogConformance : public BackendFixture {
 protected:
  AuditLog& log() { return *store_; }
};
class SharedConformance : public BackendFixture {};
class CrossInstanceConformance : public BackendFixture {
 protected:
  RevocationBus& bus() { return *store_; }
};

TEST_P(KeyValueConformance, PingsWhenReachable) { EXPECT_TRUE(kv().ping()); }

TEST_P(RecordsConformance, PutThenGetReturnsTheRecord) {
  auto v = records().put(record("k1", "alice", "sid1", 100, std::string("bin\0ary", 7)), 60s,
                         kMustNotExist);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 1u);
  auto r = records().get("k1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->key, "k1");
  EXPECT_EQ(r->publicId, "pub-k1");
  EXPECT_EQ(r->subject, "alice");
  EXPECT_EQ(r->sid, "sid1");
  EXPECT_EQ(r->createdAt, 100);
  EXPECT_EQ(r->version, 1u);
  EXPECT_EQ(r->data, std::string("bin\0ary", 7));
}

TEST_P(RecordsConformance, GetOfUnknownKeyIsNotFound) {
  auto r = records().get("missing");
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kNotFound));
}

TEST_P(IndexConformance, EraseRemovesRecordAndIndexEntries) {
  ASSERT_TRUE(records().put(record("k1", "alice", "sid1", 1), 60s, kMustNotExist));
  ASSERT_TRUE(records().erase("k1"));
  EXPECT_FALSE(records().get("k1"));
  EXPECT_FALSE(records().getByPublicId("pub-k1"));
  EXPECT_TRUE(index().listBySubject("alice")->empty());
  EXPECT_TRUE(index().listBySid("sid1")->empty());
  EXPECT_TRUE(records().erase("k1")) << "erasing an absent key is not an error";
}

TEST_P(IndexConformance, RecordExpiresAfterItsTtl) {
  ASSERT_TRUE(records().put(record("k1", "alice", "sid1", 1), 10s, kMustNotExist));
  advance(9s);
  EXPECT_TRUE(records().get("k1"));
  advance(2s);
  EXPECT_FALSE(records().get("k1"));
  EXPECT_FALSE(records().getByPublicId("pub-k1"));
  EXPECT_TRUE(index().listBySubject("alice")->empty());
  EXPECT_TRUE(index().listAll("", 10)->records.empty());
}

TEST_P(RecordsConformance, PurgeRemovesAndReturnsOnlyExpiredRecords) {
  ASSERT_TRUE(records().put(record("old", "alice", "", 1), 10s, kMustNotExist));
  ASSERT_TRUE(records().put(record("new", "alice", "", 2), 100s, kMustNotExist));
  advance(11s);
  auto purged = records().purgeExpired(100);
  ASSERT_TRUE(purged);
  ASSERT_EQ(keysOf(*purged), std::vector<std::string>{"old"});
  EXPECT_EQ((*purged)[0].subject, "alice");
  EXPECT_EQ((*purged)[0].data, "payload");
  EXPECT_TRUE(records().purgeExpired(100)->empty());
  EXPECT_TRUE(records().get("new"));
}

TEST_P(RecordsConformance, PutExtendsTheTtl) {
  ASSERT_TRUE(records().put(record("k1", "alice", "", 1), 10s, kMustNotExist));
  advance(8s);
  ASSERT_TRUE(records().put(record("k1", "alice", "", 1), 10s, 1));
  advance(8s);
  EXPECT_TRUE(records().get("k1"));
  EXPECT_TRUE(records().purgeExpired(100)->empty());
}

TEST_P(IndexConformance, ListsBySubjectOldestFirst) {
  ASSERT_TRUE(records().put(record("b", "alice", "s1", 20), 60s, kMustNotExist));
  ASSERT_TRUE(records().put(record("a", "alice", "s2", 30), 60s, kMustNotExist));
  ASSERT_TRUE(records().put(record("c", "alice", "s1", 10), 60s, kMustNotExist));
  ASSERT_TRUE(records().put(record("d", "bob", "s3", 5), 60s, kMustNotExist));
  auto alice = index().listBySubject("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(keysOf(*alice), (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_EQ(keysOf(*index().listBySubject("bob")), std::vector<std::string>{"d"});
  EXPECT_TRUE(index().listBySubject("carol")->empty());
}

TEST_P(IndexConformance, ListsByProviderSid) {
  ASSERT_TRUE(records().put(record("a", "alice", "s1", 1), 60s, kMustNotExist));
  ASSERT_TRUE(records().put(record("b", "alice", "s2", 2), 60s, kMustNotExist));
  ASSERT_TRUE(records().put(record("c", "bob", "s1", 3), 60s, kMustNotExist));
  ASSERT_TRUE(records().put(record("d", "bob", "", 4), 60s, kMustNotExist));
  EXPECT_EQ(keysOf(*index().listBySid("s1")), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(index().listBySid("")->empty()) << "an empty sid matches nothing";
}

TEST_P(RecordsConformance, FindsByPublicId) {
  ASSERT_TRUE(records().put(record("k1", "alice", "", 1), 60s, kMustNotExist));
  auto r = records().getByPublicId("pub-k1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->key, "k1");
  EXPECT_TRUE(isErr(records().getByPublicId("pub-nope").error(), Errc::kNotFound));
}

TEST_P(RecordsConformance, PublicIdIsUnique) {
  ASSERT_TRUE(records().put(record("k1", "alice", "", 1), 60s, kMustNotExist));
  auto clash = record("k2", "bob", "", 2);
  clash.publicId = "pub-k1";
  auto v = records().put(clash, 60s, kMustNotExist);
  ASSERT_FALSE(v);
  EXPECT_TRUE(isErr(v.error(), Errc::kConflict));
  EXPECT_EQ(records().getByPublicId("pub-k1")->key, "k1");
}

TEST_P(RecordsConformance, CompareAndSetDetectsConcurrentWrites) {
  ASSERT_EQ(*records().put(record("k1", "alice", "", 1, "v1"), 60s, kMustNotExist), 1u);
  auto again = records().put(record("k1", "alice", "", 1), 60s, kMustNotExist);
  ASSERT_FALSE(again);
  EXPECT_TRUE(isErr(again.error(), Errc::kConflict));

  ASSERT_EQ(*records().put(record("k1", "alice", "", 1, "v2"), 60s, 1), 2u);
  auto stale = records().put(record("k1", "alice", "", 1, "lost"), 60s, 1);
  ASSERT_FALSE(stale);
  EXPECT_TRUE(isErr(stale.error(), Errc::kConflict));
  EXPECT_EQ(records().get("k1")->data, "v2");

  EXPECT_EQ(*records().put(record("k1", "alice", "", 1, "v3"), 60s, kAnyVersion), 3u);
  auto missing = records().put(record("k9", "alice", "", 1), 60s, 4);
  EXPECT_TRUE(isErr(missing.error(), Errc::kConflict)) << "expected version of an absent record";
}

TEST_P(KeyValueConformance, LockIsExclusiveUntilReleased) {
  EXPECT_TRUE(*kv().tryLock("refresh:k1", "owner-a", 10s));
  EXPECT_FALSE(*kv().tryLock("refresh:k1", "owner-b", 10s));
  EXPECT_TRUE(*kv().tryLock("refresh:k1", "owner-a", 10s)) << "re-entrant for its owner";
  EXPECT_TRUE(*kv().tryLock("refresh:k2", "owner-b", 10s)) << "locks are per name";
  ASSERT_TRUE(kv().unlock("refresh:k1", "owner-b"));
  EXPECT_FALSE(*kv().tryLock("refresh:k1", "owner-b", 10s)) << "only the owner releases";
  ASSERT_TRUE(kv().unlock("refresh:k1", "owner-a"));
  EXPECT_TRUE(*kv().tryLock("refresh:k1", "owner-b", 10s));
}

TEST_P(KeyValueConformance, LockExpiresAfterItsTtl) {
  EXPECT_TRUE(*kv().tryLock("l", "owner-a", 300ms));
  EXPECT_FALSE(*kv().extendLock("l", "owner-b", 300ms));
  advanceLockTime(400ms);
  EXPECT_FALSE(*kv().extendLock("l", "owner-a", 300ms)) << "an expired lock is not extended";
  EXPECT_TRUE(*kv().tryLock("l", "owner-b", 10s));
  ASSERT_TRUE(kv().unlock("l", "owner-a"));
  EXPECT_FALSE(*kv().tryLock("l", "owner-a", 10s)) << "a stale owner cannot release it";
}

TEST_P(KeyValueConformance, ExtendKeepsTheLock) {
  // Wide margins: on Redis these are real milliseconds on a shared machine.
  EXPECT_TRUE(*kv().tryLock("l", "owner-a", 1000ms));
  advanceLockTime(300ms);
  EXPECT_TRUE(*kv().extendLock("l", "owner-a", 5000ms));
  advanceLockTime(900ms);  // past the original TTL, well within the extended one
  EXPECT_FALSE(*kv().tryLock("l", "owner-b", 300ms));
}

TEST_P(IndexConformance, ListAllPagesThroughEveryRecord) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(
        records().put(record("key" + std::to_string(100 + i), "u" + std::to_string(i % 3), "", i),
                      60s, kMustNotExist));
  }
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = index().listAll(cursor, 10);
    ASSERT_TRUE(page);
    for (auto& r : page->records) EXPECT_TRUE(seen.insert(r.key).second) << "duplicate " << r.key;
    cursor = page->nextCursor;
    ASSERT_LT(++pages, 10);
  } while (!cursor.empty());
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_GE(pages, 3);
}

TEST_P(AuditLogConformance, AuditKeepsNewestLinesUpToTheCap) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log().appendAudit("line" + std::to_string(i)));
  auto lines = log().recentAudit(100);
  ASSERT_TRUE(lines);
  EXPECT_EQ(*lines, (std::vector<std::string>{"line9", "line8", "line7", "line6", "line5"}));
  EXPECT_EQ(log().recentAudit(2)->size(), 2u);
}

// Waits for revocation events delivered on another thread.
class Inbox {
 public:
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& k) {
      std::lock_guard lock(mu_);
      keys_.push_back(k);
      cv_.notify_all();
    };
  }
  bool waitFor(const std::string& key, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout,
                        [&] { return std::find(keys_.begin(), keys_.end(), key) != keys_.end(); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> keys_;
};

// Publishes until delivered (a Redis subscriber may still be connecting on a loaded
// machine); fails after about 5 s.
bool publishUntilReceived(RevocationBus& publisher, Inbox& inbox, const std::string& key,
                          bool update = false) {
  for (int i = 0; i < 50; ++i) {
    if (!(update ? publisher.publishUpdated(key) : publisher.publishRevoked(key))) return false;
    if (inbox.waitFor(key, 100ms)) return true;
  }
  return false;
}

TEST_P(RevocationConformance, RevocationEventReachesSubscribers) {
  Inbox inbox;
  auto sub = bus().subscribeRevoked(inbox.sink());
  EXPECT_TRUE(publishUntilReceived(bus(), inbox, "k1"));
}

TEST_P(SharedConformance, SecondStoreObjectSeesWritesLocksAndVersions) {
  auto other = open();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(store_->put(record("k1", "alice", "sid1", 1, "from-a"), 60s, kMustNotExist));
  auto seen = other->get("k1");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->data, "from-a");
  EXPECT_EQ(keysOf(*other->listBySubject("alice")), std::vector<std::string>{"k1"});

  ASSERT_TRUE(other->put(record("k1", "alice", "sid1", 1, "from-b"), 60s, 1));
  auto stale = store_->put(record("k1", "alice", "sid1", 1, "lost"), 60s, 1);
  EXPECT_TRUE(isErr(stale.error(), Errc::kConflict));
  EXPECT_EQ(store_->get("k1")->data, "from-b");

  EXPECT_TRUE(*store_->tryLock("refresh:k1", "a", 10s));
  EXPECT_FALSE(*other->tryLock("refresh:k1", "b", 10s));

  ASSERT_TRUE(other->erase("k1"));
  EXPECT_FALSE(store_->get("k1"));
}

TEST_P(CrossInstanceConformance, RevocationEventReachesAnotherInstance) {
  auto other = open();
  Inbox inbox;
  auto sub = other->subscribeRevoked(inbox.sink());
  EXPECT_TRUE(publishUntilReceived(bus(), inbox, "k1"));
}

// A session event "tokens updated" (a refresh stored new tokens, or released its lock)
// reaches the same subscribers as a revocation: caches drop the old copy and requests
// waiting for that refresh wake.
TEST_P(RevocationConformance, UpdateEventReachesSubscribers) {
  Inbox inbox;
  auto sub = bus().subscribeRevoked(inbox.sink());
  EXPECT_TRUE(publishUntilReceived(bus(), inbox, "k1", true));
}

TEST_P(CrossInstanceConformance, UpdateEventReachesAnotherInstance) {
  auto other = open();
  Inbox inbox;
  auto sub = other->subscribeRevoked(inbox.sink());
  EXPECT_TRUE(publishUntilReceived(bus(), inbox, "k-updated", true));
}

// Key-value ops: login transactions and replay guards (SessionStore::putValue/takeValue).

TEST_P(KeyValueConformance, TakeValueReturnsWhatWasPutOnce) {
  ASSERT_TRUE(*kv().putValue("txn:1", std::string("st\0ate", 6), 60s, false));
  auto first = kv().takeValue("txn:1");
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(**first, std::string("st\0ate", 6));
  auto second = kv().takeValue("txn:1");
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->has_value()) << "a value is taken at most once";
  auto never = kv().takeValue("txn:never-put");
  ASSERT_TRUE(never);
  EXPECT_FALSE(never->has_value());
}

TEST_P(KeyValueConformance, PutValueOverwritesUnlessOnlyIfAbsent) {
  ASSERT_TRUE(*kv().putValue("v", "one", 60s, false));
  EXPECT_TRUE(*kv().putValue("v", "two", 60s, false)) << "plain put overwrites";
  EXPECT_FALSE(*kv().putValue("v", "three", 60s, true)) << "onlyIfAbsent keeps a live value";
  EXPECT_EQ(**kv().takeValue("v"), "two");
  EXPECT_TRUE(*kv().putValue("v", "four", 60s, true)) << "absent again after the take";
  EXPECT_EQ(**kv().takeValue("v"), "four");
}

TEST_P(KeyValueConformance, ValueExpiresAfterItsTtl) {
  // Redis expires values itself (SET PX), so real time passes as for locks; wide
  // margins for a shared machine.
  ASSERT_TRUE(*kv().putValue("short", "x", 300ms, false));
  ASSERT_TRUE(*kv().putValue("long", "y", 60s, false));
  advanceLockTime(600ms);
  auto gone = kv().takeValue("short");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value()) << "an expired value is never returned";
  EXPECT_EQ(**kv().takeValue("long"), "y");

  ASSERT_TRUE(*kv().putValue("jti", "1", 300ms, true));
  EXPECT_FALSE(*kv().putValue("jti", "2", 300ms, true));
  advanceLockTime(600ms);
  EXPECT_TRUE(*kv().putValue("jti", "3", 60s, true)) << "an expired value counts as absent";
  EXPECT_EQ(**kv().takeValue("jti"), "3");
}

TEST_P(KeyValueConformance, ConcurrentTakesOfOneKeyHaveExactlyOneWinner) {
  // Two store objects on one SQLite file, one Redis or one PostgreSQL: two processes, as
  // far as the backend can tell. Memory is per object, so both sides use the one store.
  std::unique_ptr<SessionStore> other;
  if (GetParam() != Backend::kMemory) {
    other = open();
    ASSERT_NE(other, nullptr);
  }
  KeyValueStore& b = other ? *other : kv();
  constexpr int kRounds = 20;
  constexpr int kThreadsPerStore = 3;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = "state:" + std::to_string(round);
    ASSERT_TRUE(*(round % 2 ? b : kv()).putValue(key, "v" + std::to_string(round), 60s, true));
    std::atomic<int> winners{0};
    std::atomic<int> failures{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 2 * kThreadsPerStore; ++i) {
      KeyValueStore* s = i % 2 ? &b : &kv();
      threads.emplace_back([&, s] {
        while (!go.load()) std::this_thread::yield();
        auto r = s->takeValue(key);
        if (!r) {
          ++failures;
        } else if (r->has_value()) {
          ++winners;
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0) << "round " << round;
    EXPECT_EQ(winners.load(), 1) << "round " << round;
  }
}

TEST_P(SharedConformance, SecondStoreObjectSeesValues) {
  auto other = open();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(*store_->putValue("shared", "from-a", 60s, true));
  EXPECT_FALSE(*other->putValue("shared", "from-b", 60s, true));
  EXPECT_EQ(**other->takeValue("shared"), "from-a");
  EXPECT_FALSE(store_->takeValue("shared")->has_value());
}

// The audit trail as each backend keeps it: every way a session ends is its own event,
// with the reason beside it, so an operator reads how without decoding reasons.
TEST_P(AuditLogConformance, EachWayASessionEndsIsItsOwnAuditEvent) {
  auto store = open(1000);
  ASSERT_NE(store, nullptr);
  auto& random = core::OpenSslRandom::instance();
  NullAuditSink sink;
  SessionOptions o;
  o.idleTimeout = 600s;
  o.absoluteTimeout = 900s;
  o.maxPerUser = 2;
  o.cacheCapacity = 0;
  SessionManager m(*store, *TokenCipher::fromKeys({generateKey(random)}), sink, clock_, random, o);
  std::map<std::string, std::string> cookies;  // public id -> cookie value
  auto signIn = [&](const std::string& subject) {
    LoginInfo l;
    l.subject = subject;
    l.providerSid = "sid-" + subject;
    l.tokens.refreshToken = core::Secret("REFRESH-" + subject);
    auto c = m.create(l);
    EXPECT_TRUE(c) << subject;
    if (!c) return Session{};
    cookies[c->session.publicId] = c->cookieValue.reveal();
    return c->session;
  };
  const Session logout = signIn("logout");
  const Session backchannel = signIn("backchannel");
  const Session byUser = signIn("user");
  const Session byAdmin = signIn("admin");
  const Session browser = signIn("browser");
  const Session refresh = signIn("refresh");
  const Session capped = signIn("capped");
  clock_.advance(1s);
  signIn("capped");
  signIn("capped");  // a third for a cap of two: the oldest goes
  const Session idle = signIn("idle");
  const Session absolute = signIn("absolute");

  ASSERT_TRUE(m.revoke(logout, RevokeReason::kLogout, "logout"));
  ASSERT_EQ(*m.revokeBySid("sid-backchannel", RevokeReason::kBackchannel), 1u);
  ASSERT_TRUE(
      m.revokeByPublicId(byUser.publicId, RevokeReason::kUser, "user", std::string_view("user")));
  ASSERT_TRUE(m.revokeByPublicId(byAdmin.publicId, RevokeReason::kAdmin, "root"));
  ASSERT_TRUE(m.revoke(browser, RevokeReason::kReplaced, "browser"));
  ASSERT_TRUE(m.revoke(refresh, RevokeReason::kRefreshFailed));
  // `idle` is never used again; `absolute` is used until its absolute timeout.
  for (int t = 1; t <= 8; ++t) {
    advance(100s);
    ASSERT_TRUE(m.lookup(cookies[absolute.publicId])) << t;
  }
  ASSERT_TRUE(m.purgeExpired());  // t = 801: `idle` unused since 1
  advance(100s);                  // t = 901: past `absolute`'s absolute timeout
  ASSERT_TRUE(m.purgeExpired());

  auto lines = store->recentAudit(1000);
  ASSERT_TRUE(lines);
  auto endsOf = [&](const Session& s) {
    std::vector<std::string> out;
    for (auto it = lines->rbegin(); it != lines->rend(); ++it) {
      if (it->find("\"session\":\"" + s.publicId + "\"") == std::string::npos) continue;
      if (it->find("\"event\":\"session.login\"") != std::string::npos) continue;
      out.push_back(*it);
    }
    return out;
  };
  const struct {
    const Session* session;
    std::string event;
    std::string reason;
  } expected[] = {
      {&logout, "session.logout", "logout"},
      {&backchannel, "session.backchannel_logout", "backchannel"},
      {&byUser, "session.revoked_by_user", "user"},
      {&byAdmin, "session.revoked_by_admin", "admin"},
      {&browser, "session.replaced", "replaced"},
      {&capped, "session.replaced", "max_sessions"},
      {&refresh, "session.refresh_ended", "refresh_failed"},
      {&idle, "session.idle_expiry", "idle_timeout"},
      {&absolute, "session.absolute_expiry", "absolute_timeout"},
  };
  for (const auto& e : expected) {
    auto ends = endsOf(*e.session);
    ASSERT_EQ(ends.size(), 1u) << e.event << ": one end per session";
    EXPECT_NE(ends[0].find("\"event\":\"" + e.event + "\""), std::string::npos) << ends[0];
    EXPECT_NE(ends[0].find("\"reason\":\"" + e.reason + "\""), std::string::npos) << ends[0];
  }
}

INSTANTIATE_TEST_SUITE_P(AllBackends, KeyValueConformance, kAllBackends, backendName);
INSTANTIATE_TEST_SUITE_P(AllBackends, RecordsConformance, kAllBackends, backendName);
INSTANTIATE_TEST_SUITE_P(AllBackends, IndexConformance, kAllBackends, backendName);
INSTANTIATE_TEST_SUITE_P(AllBackends, RevocationConformance, kAllBackends, backendName);
INSTANTIATE_TEST_SUITE_P(AllBackends, AuditLogConformance, kAllBackends, backendName);
INSTANTIATE_TEST_SUITE_P(SharedBackends, SharedConformance, kSharedBackends, backendName);
INSTANTIATE_TEST_SUITE_P(NetworkBackends, CrossInstanceConformance, kNetworkBackends, backendName);

}  // namespace
}  // namespace authgate::session
