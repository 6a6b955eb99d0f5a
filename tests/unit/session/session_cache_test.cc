// The session cache (session/session_cache.h) on its own, and through SessionManager on
// every backend: a hit skips the store, and every way a session ends reaches the cache
// (local revoke, another manager on the same store, another process on the same SQLite
// file, another instance on the same Redis).
#include "session/session_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "authgate/session/memory_store.h"
#include "authgate/session/redis_store.h"
#include "authgate/session/session_manager.h"
#include "authgate/session/sqlite_store.h"
#include "test_support.h"

namespace authgate::session {
namespace {

using namespace std::chrono_literals;
using detail::SessionCache;

bool isErr(const error_code& ec, Errc e) { return ec == make_error_code(e); }
core::Random& rng() { return core::OpenSslRandom::instance(); }

SessionCache::Entry entry(const std::string& subject) {
  SessionCache::Entry e;
  e.session.subject = subject;
  return e;
}

TEST(SessionCache, KeepsTheMostRecentlyUsedWithinCapacity) {
  SessionCache c(2, 60s);
  c.put("a", entry("a"), c.ticket("a", std::nullopt));
  c.put("b", entry("b"), c.ticket("b", std::nullopt));
  ASSERT_TRUE(c.get("a", std::nullopt));  // a is now the most recent
  c.put("c", entry("c"), c.ticket("c", std::nullopt));
  EXPECT_EQ(c.size(), 2U);
  EXPECT_TRUE(c.get("a", std::nullopt));
  EXPECT_FALSE(c.get("b", std::nullopt)) << "least recently used goes first";
  EXPECT_EQ(c.get("c", std::nullopt)->session.subject, "c");
}

TEST(SessionCache, AReadThatRacedWithADropIsNotCached) {
  SessionCache c(10, 60s);
  auto before = c.ticket("a", std::nullopt);  // a lookup starts reading the store...
  c.erase("other");                           // ...while some session is revoked
  c.put("a", entry("a"), before);
  EXPECT_FALSE(c.get("a", std::nullopt));
  c.put("a", entry("a"), c.ticket("a", std::nullopt));
  EXPECT_TRUE(c.get("a", std::nullopt));
}

TEST(SessionCache, ANewStoreVersionDropsEverything) {
  SessionCache c(10, 60s);
  c.put("a", entry("a"), c.ticket("a", 7));
  EXPECT_TRUE(c.get("a", 7));
  EXPECT_FALSE(c.get("a", 8)) << "another process wrote";
  auto t = c.ticket("a", 8);
  c.put("a", entry("a"), t);
  EXPECT_TRUE(c.get("a", 8));
  // A put whose read began under the old version is refused.
  auto stale = c.ticket("b", 8);
  EXPECT_FALSE(c.get("b", 9));
  c.put("b", entry("b"), stale);
  EXPECT_FALSE(c.get("b", 9));
}

TEST(SessionCache, EntriesAgeOut) {
  SessionCache c(10, 20ms);
  c.put("a", entry("a"), c.ticket("a", std::nullopt));
  EXPECT_TRUE(c.get("a", std::nullopt));
  std::this_thread::sleep_for(40ms);
  EXPECT_FALSE(c.get("a", std::nullopt));
  EXPECT_EQ(c.size(), 0U);
}

TEST(SessionCache, ClearAndEraseDrop) {
  SessionCache c(10, 60s);
  c.put("a", entry("a"), c.ticket("a", std::nullopt));
  c.put("b", entry("b"), c.ticket("b", std::nullopt));
  c.erase("a");
  EXPECT_FALSE(c.get("a", std::nullopt));
  EXPECT_TRUE(c.get("b", std::nullopt));
  c.clear();
  EXPECT_EQ(c.size(), 0U);
}

// A large cache is split into shards, each under its own lock: every entry is still
// found, kept, dropped and aged out as in one LRU, and a drop of one key (a
// revocation) still refuses a put of that key read before it.
TEST(SessionCache, ShardedBehavesAsOne) {
  SessionCache c(4096, 60s);
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("key-" + std::to_string(i));
  for (const auto& k : keys) c.put(k, entry(k), c.ticket(k, 1));
  EXPECT_EQ(c.size(), keys.size());
  for (const auto& k : keys) {
    auto hit = c.get(k, 1);
    ASSERT_TRUE(hit) << k;
    EXPECT_EQ(hit->session.subject, k);
  }
  // A read of one key raced with its revocation: not cached, whichever shard it is in.
  for (const auto& k : {keys[3], keys[500], keys[999]}) {
    auto before = c.ticket(k, 1);
    c.erase(k);
    c.put(k, entry(k), before);
    EXPECT_FALSE(c.get(k, 1)) << k;
  }
  EXPECT_EQ(c.size(), keys.size() - 3);
  // Another process wrote: no shard answers with what it held.
  for (const auto& k : keys) EXPECT_FALSE(c.get(k, 2)) << k;
  EXPECT_EQ(c.size(), 0U);
  for (const auto& k : keys) c.put(k, entry(k), c.ticket(k, 2));
  c.clear();
  EXPECT_EQ(c.size(), 0U);
}

TEST(SessionCache, ShardedStaysWithinItsCapacity) {
  SessionCache c(1024, 60s);
  for (int i = 0; i < 5000; ++i) {
    std::string k = "key-" + std::to_string(i);
    c.put(k, entry(k), c.ticket(k, std::nullopt));
  }
  EXPECT_LE(c.size(), 1024U);
  EXPECT_GE(c.size(), 1024U * 3 / 4) << "the shards are filled about evenly";
  // The most recent put is kept.
  EXPECT_TRUE(c.get("key-4999", std::nullopt));
}

LoginInfo login(const std::string& subject) {
  LoginInfo l;
  l.subject = subject;
  l.email = subject + "@example.com";
  l.providerSid = "sid-" + subject;
  l.tokens.accessToken = core::Secret("ACCESS-" + subject);
  l.tokens.refreshToken = core::Secret("REFRESH-" + subject);
  l.idTokenClaims = "{}";
  return l;
}

SessionOptions cached() {
  SessionOptions o;
  o.cacheCapacity = 100;
  return o;
}

// Counts reads that reach the store.
class ReadCountingStore final : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  int gets = 0;
  Result<StoreRecord> get(std::string_view k) override { return ++gets, in_.get(k); }
};

TEST(SessionManagerCache, AHitSkipsTheStoreAndKeepsTheTokens) {
  core::ManualClock clock;
  NullAuditSink sink;
  auto memory = makeMemoryStore(clock);
  ReadCountingStore store(*memory);
  SessionManager m(store, *TokenCipher::fromKeys({generateKey(rng())}), sink, clock, rng(),
                   cached());
  auto c = m.create(login("alice"));
  ASSERT_TRUE(c);
  EXPECT_EQ(m.cachedSessions(), 1U);
  for (int i = 0; i < 5; ++i) {
    auto s = m.lookup(c->cookieValue.reveal());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->subject, "alice");
    EXPECT_EQ(s->tokens.accessToken, core::Secret("ACCESS-alice"));
  }
  EXPECT_EQ(store.gets, 0) << "every lookup was answered from memory";

  // Without the cache every lookup reads the store.
  SessionManager off(store, *TokenCipher::fromKeys({generateKey(rng())}), sink, clock, rng());
  auto c2 = off.create(login("bob"));
  ASSERT_TRUE(c2);
  ASSERT_TRUE(off.lookup(c2->cookieValue.reveal()));
  EXPECT_EQ(store.gets, 1);
}

TEST(SessionManagerCache, TheLastSeenWriteAndExpiryStillGoThroughTheStore) {
  core::ManualClock clock;
  NullAuditSink sink;
  auto memory = makeMemoryStore(clock);
  ReadCountingStore store(*memory);
  SessionOptions o = cached();
  o.idleTimeout = 600s;  // last-seen written at most every 60 s
  o.absoluteTimeout = 3600s;
  SessionManager m(store, *TokenCipher::fromKeys({generateKey(rng())}), sink, clock, rng(), o);
  auto c = m.create(login("alice"));
  ASSERT_TRUE(c);
  clock.advance(61s);
  auto s = m.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(s);
  EXPECT_EQ(store.gets, 1) << "the due last-seen write reads the record";
  EXPECT_EQ(s->lastSeenAt, clock.unixSeconds());
  ASSERT_TRUE(m.lookup(c->cookieValue.reveal()));
  EXPECT_EQ(store.gets, 1) << "then memory answers again";
  clock.advance(601s);
  auto late = m.lookup(c->cookieValue.reveal());
  ASSERT_FALSE(late) << "idle past the timeout: refused, whatever memory still holds";
  EXPECT_TRUE(isErr(late.error(), Errc::kExpired) || isErr(late.error(), Errc::kNotFound));
}

TEST(SessionManagerCache, RevokingDropsTheSessionEverywhereOnOneStore) {
  core::ManualClock clock;
  NullAuditSink sink;
  auto store = makeMemoryStore(clock);
  auto keys = std::vector<core::Secret>{generateKey(rng())};
  SessionManager a(*store, *TokenCipher::fromKeys(keys), sink, clock, rng(), cached());
  SessionManager b(*store, *TokenCipher::fromKeys(keys), sink, clock, rng(), cached());
  auto c1 = a.create(login("alice"));
  auto c2 = a.create(login("bob"));
  ASSERT_TRUE(c1 && c2);
  auto onA = a.lookup(c1->cookieValue.reveal());
  ASSERT_TRUE(onA && b.lookup(c1->cookieValue.reveal()) && a.lookup(c2->cookieValue.reveal()));
  ASSERT_TRUE(a.revoke(*onA, RevokeReason::kUser, "alice"));
  EXPECT_TRUE(isErr(a.lookup(c1->cookieValue.reveal()).error(), Errc::kRevoked));
  EXPECT_TRUE(isErr(b.lookup(c1->cookieValue.reveal()).error(), Errc::kRevoked));
  ASSERT_TRUE(b.revokeBySubject("bob", RevokeReason::kAdmin));
  EXPECT_TRUE(isErr(a.lookup(c2->cookieValue.reveal()).error(), Errc::kRevoked));
}

// Logs in on A, has A cache the session, then revokes it through B (another store
// object on the same backend). nullopt when a step failed.
std::optional<CreatedSession> cacheOnARevokeOnB(SessionManager& a, SessionManager& b) {
  auto c = a.create(login("alice"));
  if (!c || !a.lookup(c->cookieValue.reveal()) || a.cachedSessions() != 1) return std::nullopt;
  auto onB = b.lookup(c->cookieValue.reveal());
  if (!onB || !b.revoke(*onB, RevokeReason::kAdmin, "ops")) return std::nullopt;
  return std::move(*c);
}

TEST(SessionManagerCache, AnotherProcessOnTheSameSqliteFileRevokes) {
  testing::TempDir dir;
  core::ManualClock clock;
  NullAuditSink sink;
  auto keys = std::vector<core::Secret>{generateKey(rng())};
  auto storeA = openSqliteStore({dir.file("s.db")}, clock);
  auto storeB = openSqliteStore({dir.file("s.db")}, clock);  // its own connection
  ASSERT_TRUE(storeA && storeB);
  SessionManager a(**storeA, *TokenCipher::fromKeys(keys), sink, clock, rng(), cached());
  SessionManager b(**storeB, *TokenCipher::fromKeys(keys), sink, clock, rng());
  auto c = cacheOnARevokeOnB(a, b);
  ASSERT_TRUE(c);
  EXPECT_TRUE(isErr(a.lookup(c->cookieValue.reveal()).error(), Errc::kRevoked))
      << "the other connection's commit reaches A's cache before its next answer";
}

TEST(SessionManagerCache, AnotherInstanceOnTheSameRedisRevokes) {
  testing::RedisServer redis;
  core::ManualClock clock;
  NullAuditSink sink;
  auto keys = std::vector<core::Secret>{generateKey(rng())};
  RedisStoreOptions ro;
  ro.port = redis.port();
  auto storeA = makeRedisStore(ro, clock);
  auto storeB = makeRedisStore(ro, clock);
  SessionManager a(*storeA, *TokenCipher::fromKeys(keys), sink, clock, rng(), cached());
  SessionManager b(*storeB, *TokenCipher::fromKeys(keys), sink, clock, rng(), cached());
  auto c = cacheOnARevokeOnB(a, b);
  ASSERT_TRUE(c);
  // Pub/sub delivers the event to A asynchronously; it arrives within milliseconds.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (a.cachedSessions() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(a.cachedSessions(), 0U);
  EXPECT_TRUE(isErr(a.lookup(c->cookieValue.reveal()).error(), Errc::kRevoked));

  // While Redis is gone the cache is not trusted: no session outlives the outage
  // unchecked, and lookups fail closed.
  auto c2 = a.create(login("bob"));
  ASSERT_TRUE(c2);
  ASSERT_TRUE(a.lookup(c2->cookieValue.reveal()));
  redis.stop();
  deadline = std::chrono::steady_clock::now() + 5s;
  auto r = a.lookup(c2->cookieValue.reveal());
  while (r && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    r = a.lookup(c2->cookieValue.reveal());
  }
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kStoreUnavailable));
}

}  // namespace
}  // namespace authgate::session
