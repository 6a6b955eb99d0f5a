#include <gtest/gtest.h>

#include "authgate/core/clock.h"
#include "authgate/session/redis_store.h"
#include "test_support.h"

namespace authgate::session {
namespace {

using namespace std::chrono_literals;
using testing::RedisServer;
using Clock = std::chrono::steady_clock;

bool isErr(const error_code& ec, Errc e) { return ec == make_error_code(e); }

StoreRecord rec(const std::string& key) { return testing::minimalRecord(key); }

TEST(RedisUri, ParsesHostPortDatabaseAndCredentials) {
  struct Case {
    const char* uri;
    const char* host;
    int port;
    int db;
    const char* user;
    const char* pass;
  };
  for (const Case& c : {Case{"redis://cache:6380/3", "cache", 6380, 3, "", ""},
                        Case{"redis://localhost", "localhost", 6379, 0, "", ""},
                        Case{"redis://:s3cret@h:1/", "h", 1, 0, "", "s3cret"},
                        Case{"redis://app:pw@h:2/1", "h", 2, 1, "app", "pw"}}) {
    auto o = parseRedisUri(c.uri);
    ASSERT_TRUE(o) << c.uri;
    EXPECT_EQ(o->host, c.host) << c.uri;
    EXPECT_EQ(o->port, c.port) << c.uri;
    EXPECT_EQ(o->database, c.db) << c.uri;
    EXPECT_EQ(o->username, c.user) << c.uri;
    EXPECT_EQ(o->password.reveal(), c.pass) << c.uri;
  }
  for (const char* bad :
       {"redis://", "redis://h:x", "redis://h:70000", "redis://h/x", "rediss://h", "http://h"}) {
    EXPECT_FALSE(parseRedisUri(bad)) << bad;
  }
}

TEST(RedisSentinelUri, ParsesSentinelsMasterDatabaseAndWait) {
  auto o = parseRedisSentinelUri("redis-sentinel://app:p@ss@s1:26380,s2,10.0.0.3:5/mymaster/2");
  ASSERT_TRUE(o);
  ASSERT_EQ(o->sentinels.size(), 3u);
  EXPECT_EQ(o->sentinels[0].host, "s1");
  EXPECT_EQ(o->sentinels[0].port, 26380);
  EXPECT_EQ(o->sentinels[1].host, "s2");
  EXPECT_EQ(o->sentinels[1].port, 26379) << "the Sentinel default port";
  EXPECT_EQ(o->sentinels[2].host, "10.0.0.3");
  EXPECT_EQ(o->sentinels[2].port, 5);
  EXPECT_EQ(o->masterName, "mymaster");
  EXPECT_EQ(o->database, 2);
  EXPECT_EQ(o->username, "app");
  EXPECT_EQ(o->password.reveal(), "p@ss");
  EXPECT_EQ(o->waitReplicas, 1) << "writes wait for one replica by default";
  EXPECT_EQ(o->waitTimeout, 500ms);

  auto q = parseRedisSentinelUri("redis-sentinel://h:1/m?wait_replicas=0&wait_timeout_ms=250");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->database, 0);
  EXPECT_EQ(q->waitReplicas, 0);
  EXPECT_EQ(q->waitTimeout, 250ms);
  EXPECT_TRUE(q->password.empty());

  auto slash = parseRedisSentinelUri("redis-sentinel://h:1/m/");
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->database, 0);

  for (const char* bad : {
           "redis-sentinel://",                         // nothing
           "redis-sentinel://h:1",                      // no master name
           "redis-sentinel://h:1/",                     // empty master name
           "redis-sentinel://h:1,/m",                   // empty sentinel
           "redis-sentinel://,h:1/m",                   // empty sentinel
           "redis-sentinel://h:0/m",                    // port 0
           "redis-sentinel://h:70000/m",                // port too big
           "redis-sentinel://h:x/m",                    // port not a number
           "redis-sentinel://h:1/m/x",                  // database not a number
           "redis-sentinel://h:1/m/-1",                 // negative database
           "redis-sentinel://h:1/m a",                  // bad master name
           "redis-sentinel://h:1/m?wait=1",             // unknown parameter
           "redis-sentinel://h:1/m?wait_replicas",      // no value
           "redis-sentinel://h:1/m?wait_replicas=-1",   // negative
           "redis-sentinel://h:1/m?wait_timeout_ms=0",  // zero timeout
           "redis://h:1/m",                             // not this scheme
       }) {
    EXPECT_FALSE(parseRedisSentinelUri(bad)) << bad;
  }
}

TEST(RedisStore, UnavailableQuicklyWhenNothingListens) {
  core::ManualClock clock;
  RedisStoreOptions o;
  o.port = testing::freePort();
  auto store = makeRedisStore(o, clock);
  auto start = Clock::now();
  auto r = store->get("k");
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kStoreUnavailable));
  EXPECT_FALSE(store->ping());
  EXPECT_LT(Clock::now() - start, 1500ms);
}

TEST(RedisStore, SentinelModeUnavailableQuicklyWhenNoSentinelAnswers) {
  core::ManualClock clock;
  RedisStoreOptions o;
  o.sentinels = {{"127.0.0.1", testing::freePort()}, {"127.0.0.1", testing::freePort()}};
  o.masterName = "m";
  auto store = makeRedisStore(o, clock);
  EXPECT_EQ(store->backend(), "redis-sentinel");
  auto start = Clock::now();
  auto r = store->get("k");
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kStoreUnavailable));
  EXPECT_TRUE(isErr(store->put(rec("k"), 60s, kMustNotExist).error(), Errc::kStoreUnavailable));
  EXPECT_LT(Clock::now() - start, 1500ms);
}

TEST(RedisStore, SentinelModeRefusesAServerThatIsNotASentinel) {
  // A plain Redis answers SENTINEL with an error: no master, so no connection.
  core::ManualClock clock;
  RedisServer server;
  RedisStoreOptions o;
  o.sentinels = {{"127.0.0.1", server.port()}};
  o.masterName = "m";
  auto store = makeRedisStore(o, clock);
  EXPECT_FALSE(store->ping());
}

TEST(RedisStore, RecoversAfterRedisIsKilledAndRestarted) {
  core::ManualClock clock;
  RedisServer server;
  RedisStoreOptions o;
  o.port = server.port();
  auto store = makeRedisStore(o, clock);
  ASSERT_TRUE(store->put(rec("k1"), 60s, kMustNotExist));

  server.stop();
  auto start = Clock::now();
  auto down = store->get("k1");
  ASSERT_FALSE(down);
  EXPECT_TRUE(isErr(down.error(), Errc::kStoreUnavailable));
  EXPECT_TRUE(isErr(store->put(rec("k2"), 60s, kMustNotExist).error(), Errc::kStoreUnavailable));
  EXPECT_LT(Clock::now() - start, 2s);

  server.start();
  ASSERT_TRUE(store->ping());
  ASSERT_TRUE(store->put(rec("k2"), 60s, kMustNotExist));
  EXPECT_TRUE(store->get("k2"));
}

TEST(RedisStore, HungRedisTimesOutWithinTheCommandTimeout) {
  core::ManualClock clock;
  RedisServer server;
  RedisStoreOptions o;
  o.port = server.port();
  o.commandTimeout = 300ms;
  auto store = makeRedisStore(o, clock);
  ASSERT_TRUE(store->put(rec("k1"), 60s, kMustNotExist));

  server.pause();  // SIGSTOP: the socket accepts, nothing answers
  auto start = Clock::now();
  auto r = store->get("k1");
  auto took = Clock::now() - start;
  server.resume();
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kStoreUnavailable));
  EXPECT_LT(took, 1500ms);

  EXPECT_TRUE(store->get("k1")) << "recovers once Redis answers again";
}

TEST(RedisStore, SubscriberResubscribesAfterRestart) {
  core::ManualClock clock;
  RedisServer server;
  RedisStoreOptions o;
  o.port = server.port();
  auto a = makeRedisStore(o, clock);
  auto b = makeRedisStore(o, clock);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  auto sub = b->subscribeRevoked([&](const std::string& k) {
    std::lock_guard lock(mu);
    got.push_back(k);
    cv.notify_all();
  });
  server.stop();
  server.start();
  // Publish until the subscriber is back (it reconnects in the background).
  bool received = false;
  for (int i = 0; i < 50 && !received; ++i) {
    (void)a->publishRevoked("after-restart");
    std::unique_lock lock(mu);
    received = cv.wait_for(lock, 100ms, [&] { return !got.empty(); });
  }
  EXPECT_TRUE(received);
}

}  // namespace
}  // namespace authgate::session
