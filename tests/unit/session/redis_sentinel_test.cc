// Sentinel parts of the Redis store: the sentinel credentials in the URI, the start-up
// probe telling refused credentials from an outage, and the +switch-master follower.
//
// The follower tests run real redis-server processes. One of them stands in for a
// sentinel's pub/sub side only: the store subscribes to `+switch-master` on it and the
// test PUBLISHes the event in the format Sentinel uses ("<name> <old-ip> <old-port>
// <new-ip> <new-port>"). A plain Redis answers `SENTINEL get-master-addr-by-name` with
// an error, so the only way the store can learn a master there is the event. Real
// sentinels and a real failover are integration.sentinel_switch.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "authgate/core/clock.h"
#include "authgate/session/redis_store.h"
#include "authgate/session/store_factory.h"
#include "test_support.h"

namespace authgate::session {
namespace {

using namespace std::chrono_literals;
using testing::RedisServer;

bool isErr(const error_code& ec, Errc e) { return ec == make_error_code(e); }

// Polls `fn` every 20 ms until true or `limit` passes.
template <class F>
bool eventually(F fn, std::chrono::milliseconds limit = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return fn();
}

std::string switchEvent(const std::string& name, int from, int to) {
  return name + " 127.0.0.1 " + std::to_string(from) + " 127.0.0.1 " + std::to_string(to);
}

RedisStoreOptions sentinelOptions(int sentinelPort) {
  RedisStoreOptions o;
  o.sentinels = {{"127.0.0.1", sentinelPort}};
  o.masterName = "m";
  return o;
}

TEST(RedisSentinelUri, SentinelCredentialsAreTheirOwn) {
  auto o = parseRedisSentinelUri(
      "redis-sentinel://app:data-pw@s1,s2/m/1?sentinel_user=watch&sentinel_password=s%26n%25t");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->username, "app");
  EXPECT_EQ(o->password.reveal(), "data-pw") << "the master's credentials";
  EXPECT_EQ(o->sentinelUsername, "watch");
  EXPECT_EQ(o->sentinelPassword.reveal(), "s&n%t") << "percent-decoded";
  EXPECT_EQ(o->database, 1);

  auto onlyPassword =
      parseRedisSentinelUri("redis-sentinel://h/m?wait_replicas=0&sentinel_password=pw");
  ASSERT_TRUE(onlyPassword);
  EXPECT_EQ(onlyPassword->sentinelUsername, "") << "the default user";
  EXPECT_EQ(onlyPassword->sentinelPassword.reveal(), "pw");
  EXPECT_TRUE(onlyPassword->password.empty()) << "not reused for the data nodes";
  EXPECT_EQ(onlyPassword->waitReplicas, 0);

  auto none = parseRedisSentinelUri("redis-sentinel://:data-pw@h/m");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->sentinelPassword.empty()) << "sentinels are not sent the data password";
}

TEST(RedisSentinelUri, RefusesBadSentinelCredentialsAndSaysWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"redis-sentinel://h/m?sentinel_user=u", "sentinel_user needs sentinel_password"},
      {"redis-sentinel://h/m?sentinel_password=", "sentinel_password is empty"},
      {"redis-sentinel://h/m?sentinel_password=a%zzb", "bad %-escape"},
      {"redis-sentinel://h/m?sentinel_password=ab%4", "bad %-escape"},
      {"redis-sentinel://h/m?sentinel_password=ab%-1", "bad %-escape"},
      {"redis-sentinel://h/m?sentinel_user=&sentinel_password=p", "sentinel_user is empty"},
      {"redis-sentinel://h/m?sentinel_pasword=hunter2", "unknown query parameter"},
      {"redis-sentinel://h/m?wait_replicas=65", "wait_replicas must be 0..64"},
      {"redis-sentinel://h:0/m", "a sentinel is not host[:port]"},
  };
  for (const auto& [uri, reason] : cases) {
    std::string why;
    EXPECT_FALSE(parseRedisSentinelUri(uri, &why)) << uri;
    EXPECT_NE(why.find(reason), std::string::npos) << uri << ": " << why;
    EXPECT_EQ(why.find("hunter2"), std::string::npos) << "a misspelt password stays out: " << why;
  }
}

TEST(RedisSentinelProbe, TellsRefusedCredentialsFromAnOutage) {
  RedisServer locked("sentinel-secret-1");
  auto o = sentinelOptions(locked.port());
  std::string why;

  // (No password at all: a real sentinel answers NOAUTH, which integration.sentinel_auth
  // checks; a plain Redis answers an unknown command before it asks for AUTH.)
  o.sentinelPassword = core::Secret("wrong-secret-2");
  auto wrong = probeRedisSentinels(o, &why);
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(isErr(wrong.error(), Errc::kStoreOpenFailed)) << why;
  EXPECT_NE(why.find("WRONGPASS"), std::string::npos) << why;
  EXPECT_EQ(why.find("wrong-secret-2"), std::string::npos) << why;

  // The right password, but a plain Redis is no sentinel: not a credentials problem.
  o.sentinelPassword = core::Secret("sentinel-secret-1");
  auto accepted = probeRedisSentinels(o, &why);
  ASSERT_FALSE(accepted);
  EXPECT_TRUE(isErr(accepted.error(), Errc::kStoreUnavailable)) << why;
  EXPECT_EQ(why.find("sentinel-secret-1"), std::string::npos) << why;

  // A password sent to a server that has none is refused too: a setting to fix.
  RedisServer open;
  auto unexpected = sentinelOptions(open.port());
  unexpected.sentinelPassword = core::Secret("unneeded-secret-8");
  auto extra = probeRedisSentinels(unexpected, &why);
  ASSERT_FALSE(extra);
  EXPECT_TRUE(isErr(extra.error(), Errc::kStoreOpenFailed)) << why;
  EXPECT_EQ(why.find("unneeded-secret-8"), std::string::npos) << why;

  auto down = probeRedisSentinels(sentinelOptions(testing::freePort()), &why);
  ASSERT_FALSE(down);
  EXPECT_TRUE(isErr(down.error(), Errc::kStoreUnavailable)) << "an outage, not a setting: " << why;
}

TEST(RedisSentinelProbe, OpenStoreRefusesTheStartOnlyForRefusedCredentials) {
  core::ManualClock clock;
  RedisServer locked("sentinel-secret-3");
  const std::string base = "redis-sentinel://127.0.0.1:" + std::to_string(locked.port()) + "/m";
  std::string detail;
  auto refused = openStore(base + "?sentinel_password=not-it-4", clock, &detail);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(isErr(refused.error(), Errc::kStoreOpenFailed));
  EXPECT_NE(detail.find("the sentinels refused authentication"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("not-it-4"), std::string::npos) << detail;

  detail.clear();
  auto down = openStore("redis-sentinel://127.0.0.1:" + std::to_string(testing::freePort()) + "/m",
                        clock, &detail);
  EXPECT_TRUE(down) << "sentinels that are down do not stop the start: " << detail;

  auto bad = openStore(base + "?sentinel_user=u", clock, &detail);
  ASSERT_FALSE(bad);
  EXPECT_NE(detail.find("sentinel_user needs sentinel_password"), std::string::npos) << detail;
}

TEST(RedisSentinelFollower, SwitchMasterMovesTheStoreWithoutAnError) {
  core::ManualClock clock;
  RedisServer events;  // the sentinel's pub/sub
  RedisServer first;
  RedisServer second;
  auto store = makeRedisStore(sentinelOptions(events.port()), clock);
  EXPECT_FALSE(store->ping()) << "nothing names a master yet";

  // The follower subscribes in the background: publish until it hears.
  ASSERT_TRUE(eventually(
      [&] { return events.publish("+switch-master", switchEvent("m", 1, first.port())) == 1; }));
  ASSERT_TRUE(eventually([&] { return bool(store->ping()); })) << "the event named the master";
  ASSERT_TRUE(store->put(testing::minimalRecord("k1"), 60s, kMustNotExist));
  EXPECT_NE(first.dumpAll().find("k1"), std::string::npos);

  // Another master's switch, and malformed events, change nothing.
  EXPECT_EQ(events.publish("+switch-master", switchEvent("other", first.port(), second.port())), 1);
  EXPECT_EQ(events.publish("+switch-master", "m 127.0.0.1"), 1);
  EXPECT_EQ(events.publish("+switch-master", "m 127.0.0.1 1 127.0.0.1 notaport"), 1);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(store->get("k1")) << "still on the first master";

  // Ours switches: the pooled connection to `first` (still up, still a master) is
  // dropped and the next command goes to `second`, with no error in between.
  EXPECT_EQ(events.publish("+switch-master", switchEvent("m", first.port(), second.port())), 1);
  ASSERT_TRUE(eventually([&] {
    auto r = store->get("k1");
    EXPECT_TRUE(r || isErr(r.error(), Errc::kNotFound)) << "no failed call during the switch";
    return !r;
  })) << "reads now go to the second master, which has no k1";
  ASSERT_TRUE(store->put(testing::minimalRecord("k2"), 60s, kMustNotExist));
  EXPECT_NE(second.dumpAll().find("k2"), std::string::npos);
  EXPECT_EQ(first.dumpAll().find("k2"), std::string::npos);
}

TEST(RedisSentinelFollower, RevocationSubscriptionMovesToTheNewMaster) {
  core::ManualClock clock;
  RedisServer events;
  RedisServer first;
  RedisServer second;
  auto store = makeRedisStore(sentinelOptions(events.port()), clock);
  ASSERT_TRUE(eventually(
      [&] { return events.publish("+switch-master", switchEvent("m", 1, first.port())) == 1; }));
  ASSERT_TRUE(eventually([&] { return bool(store->ping()); }));

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  auto sub = store->subscribeRevoked([&](const std::string& k) {
    std::lock_guard lock(mu);
    got.push_back(k);
    cv.notify_all();
  });
  ASSERT_TRUE(eventually([&] { return sub->live(); }));
  ASSERT_TRUE(store->put(testing::minimalRecord("k1"), 60s, kMustNotExist));

  ASSERT_EQ(events.publish("+switch-master", switchEvent("m", first.port(), second.port())), 1);
  ASSERT_TRUE(eventually([&] { return !store->get("k1"); })) << "the store is on `second` now";
  // A revocation published through the store now goes to `second`; the subscription
  // must have left `first` to hear it.
  bool heard = false;
  for (int i = 0; i < 60 && !heard; ++i) {
    (void)store->publishRevoked("after-switch");
    std::unique_lock lock(mu);
    heard = cv.wait_for(
        lock, 50ms, [&] { return std::find(got.begin(), got.end(), "after-switch") != got.end(); });
  }
  EXPECT_TRUE(heard);
  EXPECT_EQ(second.publish("authgate:revocations", "probe"), 1) << "subscribed on the new master";
}

TEST(RedisSentinelFollower, AuthenticatesToTheSentinel) {
  core::ManualClock clock;
  RedisServer events("sentinel-secret-5");
  RedisServer master;
  auto o = sentinelOptions(events.port());
  o.sentinelPassword = core::Secret("sentinel-secret-5");
  auto store = makeRedisStore(o, clock);
  ASSERT_TRUE(eventually([&] {
    return events.publish("+switch-master", switchEvent("m", 1, master.port())) == 1;
  })) << "subscribed after AUTH";
  EXPECT_TRUE(eventually([&] { return bool(store->ping()); }));
}

TEST(RedisSentinelFollower, ReportsWhatItDoesWithoutSecrets) {
  core::ManualClock clock;
  std::mutex mu;
  std::vector<std::string> lines;
  setRedisEventLog([&](RedisLogSeverity, std::string_view m) {
    std::lock_guard lock(mu);
    lines.emplace_back(m);
  });
  const auto seen = [&](std::string_view part) {
    std::lock_guard lock(mu);
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(part) != std::string::npos; });
  };
  {
    RedisServer events("sentinel-secret-6");
    RedisServer master;
    auto o = sentinelOptions(events.port());
    o.sentinelPassword = core::Secret("wrong-secret-7");
    {
      auto refused = makeRedisStore(o, clock);
      EXPECT_TRUE(eventually([&] { return seen("the sentinels refused authentication"); }));
    }
    o.sentinelPassword = core::Secret("sentinel-secret-6");
    auto store = makeRedisStore(o, clock);
    EXPECT_TRUE(
        eventually([&] { return seen("following +switch-master for m through sentinel"); }));
    ASSERT_TRUE(eventually(
        [&] { return events.publish("+switch-master", switchEvent("m", 1, master.port())) == 1; }));
    const std::string expected =
        "followed +switch-master m 127.0.0.1:1 -> 127.0.0.1:" + std::to_string(master.port());
    EXPECT_TRUE(eventually([&] { return seen(expected); }));
  }
  setRedisEventLog(nullptr);
  std::lock_guard lock(mu);
  for (const auto& l : lines) {
    EXPECT_EQ(l.find("secret"), std::string::npos) << l;
  }
}

}  // namespace
}  // namespace authgate::session
