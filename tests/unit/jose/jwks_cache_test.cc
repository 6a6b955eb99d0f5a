// JWKS cache behaviour with a fake fetcher and a ManualClock: rotation in both
// orders, the unknown-kid refetch rate limit, a provider outage, Cache-Control
// bounds, and single-flight fetching under concurrency.
#include "authgate/jose/jwks_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include "authgate/jose/errc.h"
#include "authgate/jose/verified_token_cache.h"
#include "test_signer.h"

namespace authgate::jose {
namespace {

using namespace std::chrono_literals;
constexpr int64_t kStart = 1'700'000'000;
const std::string kIssuer = "https://tenant.eu.auth0.com/";
const std::string kUrl = "https://tenant.eu.auth0.com/.well-known/jwks.json";

const testing::TestKey& key(int i) {
  static const testing::TestKey k1 = testing::makeEcKey("P-256", "k1");
  static const testing::TestKey k2 = testing::makeEcKey("P-256", "k2");
  return i == 1 ? k1 : k2;
}

// A provider whose JWKS the test changes at will.
class FakeProvider {
 public:
  Result<FetchedJwks> fetch(const std::string& url) {
    std::unique_lock lock(mu_);
    ++calls_;
    EXPECT_EQ(url, kUrl);
    if (gate_) {
      ++waiting_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !gate_; });
    }
    if (down_) return make_error_code(Errc::kJwksFetchFailed);
    return FetchedJwks{body_, maxAge_};
  }
  JwksFetcher fetcher() {
    return [this](const std::string& u) { return fetch(u); };
  }
  void publish(std::initializer_list<int> keys, std::optional<std::chrono::seconds> maxAge = {}) {
    std::vector<const boost::json::object*> jwks;
    for (int i : keys) jwks.push_back(&key(i).jwk);
    boost::json::array arr;
    for (auto* k : jwks) arr.push_back(*k);
    std::lock_guard lock(mu_);
    body_ = boost::json::serialize(boost::json::object{{"keys", arr}});
    maxAge_ = maxAge;
  }
  void setDown(bool d) {
    std::lock_guard lock(mu_);
    down_ = d;
  }
  void closeGate() {
    std::lock_guard lock(mu_);
    gate_ = true;
  }
  void openGate() {
    std::lock_guard lock(mu_);
    gate_ = false;
    cv_.notify_all();
  }
  void waitForBlockedFetch() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiting_ > 0; });
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string body_;
  std::optional<std::chrono::seconds> maxAge_;
  bool down_ = false;
  bool gate_ = false;
  int waiting_ = 0;
  int calls_ = 0;
};

class JwksCacheTest : public ::testing::Test {
 protected:
  std::string token(int keyIndex) {
    boost::json::object claims{{"iss", kIssuer},
                               {"sub", "u"},
                               {"aud", "api"},
                               {"iat", clock_.unixSeconds()},
                               {"exp", clock_.unixSeconds() + 3600}};
    std::string kid = keyIndex == 1 ? "k1" : "k2";
    return testing::signCompact(Alg::kES256, key(keyIndex).pkey.get(),
                                R"({"alg":"ES256","kid":")" + kid + "\"}",
                                boost::json::serialize(claims));
  }
  VerifyPolicy policy() {
    VerifyPolicy p;
    p.issuer = kIssuer;
    p.audiences = {"api"};
    p.allowedAlgs = {Alg::kES256};
    return p;
  }

  core::ManualClock clock_{kStart};
  FakeProvider provider_;
  JwksCache cache_{kUrl, provider_.fetcher(), clock_};
};

TEST_F(JwksCacheTest, FetchesOnceAndServesFromCache) {
  provider_.publish({1});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(cache_.verify(token(1), policy()));
  EXPECT_EQ(provider_.calls(), 1);
}

TEST_F(JwksCacheTest, RotationWithNewKeyPublishedBeforeFirstToken) {
  provider_.publish({1});
  ASSERT_TRUE(cache_.verify(token(1), policy()));
  provider_.publish({1, 2});  // next key announced ahead of use
  clock_.advance(11min);      // default TTL 10 min elapses
  EXPECT_TRUE(cache_.verify(token(1), policy()));
  EXPECT_EQ(provider_.calls(), 2);
  EXPECT_TRUE(cache_.verify(token(2), policy()));  // already known: no fetch
  EXPECT_EQ(provider_.calls(), 2);
}

TEST_F(JwksCacheTest, RotationWithNewKeyPublishedAfterFirstToken) {
  provider_.publish({1});
  ASSERT_TRUE(cache_.verify(token(1), policy()));
  provider_.publish({2});  // provider switched keys; our cached set lacks k2
  clock_.advance(1s);
  auto r = cache_.verify(token(2), policy());
  EXPECT_TRUE(r) << r.error().message();
  EXPECT_EQ(provider_.calls(), 2);
}

TEST_F(JwksCacheTest, UnknownKidRefetchIsRateLimitedTo30Seconds) {
  provider_.publish({1});
  ASSERT_TRUE(cache_.verify(token(1), policy()));
  // Tokens with a kid nobody published: one refetch, then none for 30 s.
  for (int i = 0; i < 10; ++i) {
    auto r = cache_.verify(token(2), policy());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::kUnknownKid);
  }
  EXPECT_EQ(provider_.calls(), 2);
  clock_.advance(29s);
  EXPECT_FALSE(cache_.verify(token(2), policy()));
  EXPECT_EQ(provider_.calls(), 2);
  clock_.advance(1s);
  provider_.publish({1, 2});
  EXPECT_TRUE(cache_.verify(token(2), policy()));
  EXPECT_EQ(provider_.calls(), 3);
}

TEST_F(JwksCacheTest, ProviderDownKeepsLastGoodSet) {
  provider_.publish({1});
  ASSERT_TRUE(cache_.verify(token(1), policy()));
  provider_.setDown(true);
  clock_.advance(11min);
  EXPECT_TRUE(cache_.verify(token(1), policy()));  // refresh failed, old set serves
  EXPECT_EQ(provider_.calls(), 2);
  EXPECT_TRUE(cache_.verify(token(1), policy()));  // no retry within the back-off
  EXPECT_EQ(provider_.calls(), 2);
  clock_.advance(250ms);
  EXPECT_TRUE(cache_.verify(token(1), policy()));
  EXPECT_EQ(provider_.calls(), 3);
  EXPECT_EQ(cache_.stats().failures, 2u);
}

// Issue 17: a JWKS outage must not outlive the provider. The first login's fetch fails
// (no keys at all); the endpoint answers again; a login a second later succeeds.
TEST_F(JwksCacheTest, AFailedFirstFetchIsRetriedWithinASecond) {
  provider_.publish({1});
  provider_.setDown(true);
  auto r = cache_.verify(token(1), policy());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kJwksFetchFailed);
  EXPECT_FALSE(cache_.verify(token(1), policy())) << "within the back-off: no fetch";
  EXPECT_EQ(provider_.calls(), 1);
  provider_.setDown(false);
  clock_.advance(1s);
  EXPECT_TRUE(cache_.verify(token(1), policy()));
  EXPECT_EQ(provider_.calls(), 2);
}

// The same during a rotation: the refetch for the new kid fails, the next one a second
// later is not held back by the unknown-kid limit (which counts successful fetches).
TEST_F(JwksCacheTest, AFailedRefetchForANewKidIsRetriedWithinASecond) {
  provider_.publish({1});
  ASSERT_TRUE(cache_.verify(token(1), policy()));
  provider_.publish({1, 2});
  provider_.setDown(true);
  clock_.advance(1s);
  EXPECT_FALSE(cache_.verify(token(2), policy()));
  EXPECT_EQ(provider_.calls(), 2);
  provider_.setDown(false);
  clock_.advance(1s);
  auto r = cache_.verify(token(2), policy());
  EXPECT_TRUE(r) << r.error().message();
  EXPECT_EQ(provider_.calls(), 3);
  EXPECT_TRUE(cache_.verify(token(1), policy())) << "the old key still serves";
}

TEST_F(JwksCacheTest, FailuresBackOffExponentiallyAndASuccessResets) {
  provider_.setDown(true);
  // Call every 50 ms for 20 s and count the fetches: 250, 500, 1000, ... 10000 ms apart.
  std::vector<int64_t> fetchTimesMs;
  int calls = 0;
  for (int ms = 0; ms <= 20000; ms += 50) {
    (void)cache_.keys();
    if (provider_.calls() != calls) {
      calls = provider_.calls();
      fetchTimesMs.push_back(ms);
    }
    clock_.advance(50ms);
  }
  ASSERT_GE(fetchTimesMs.size(), 6u);
  EXPECT_EQ(fetchTimesMs[1] - fetchTimesMs[0], 250);
  EXPECT_EQ(fetchTimesMs[2] - fetchTimesMs[1], 500);
  EXPECT_EQ(fetchTimesMs[3] - fetchTimesMs[2], 1000);
  EXPECT_EQ(fetchTimesMs[4] - fetchTimesMs[3], 2000);
  EXPECT_EQ(fetchTimesMs.size(), 7u)
      << "0, .25, .75, 1.75, 3.75, 7.75, 15.75 s; the next at 25.75 (cap)";
  provider_.setDown(false);
  provider_.publish({1});
  clock_.advance(10s);
  ASSERT_TRUE(cache_.keys());
  // A success resets the back-off: the next failure waits 250 ms again.
  provider_.setDown(true);
  clock_.advance(11min);
  (void)cache_.keys();
  const int before = provider_.calls();
  clock_.advance(250ms);
  (void)cache_.keys();
  EXPECT_EQ(provider_.calls(), before + 1);
}

TEST(JwksPolicy, BackoffDoublesFrom250msToTheCap) {
  JwksCacheOptions o;
  EXPECT_EQ(jwksFailureBackoff(0, o), 0ms);
  EXPECT_EQ(jwksFailureBackoff(1, o), 250ms);
  EXPECT_EQ(jwksFailureBackoff(2, o), 500ms);
  EXPECT_EQ(jwksFailureBackoff(3, o), 1000ms);
  EXPECT_EQ(jwksFailureBackoff(6, o), 8000ms);
  EXPECT_EQ(jwksFailureBackoff(7, o), 10000ms);
  EXPECT_EQ(jwksFailureBackoff(1000, o), 10000ms);
  EXPECT_EQ(jwksFailureBackoff(std::numeric_limits<unsigned>::max(), o), 10000ms);
}

TEST(JwksPolicy, ValuesInValuesOut) {
  JwksCacheOptions o;
  const core::TimePoint t0{std::chrono::seconds(kStart)};
  JwksFetchState s;
  EXPECT_TRUE(jwksFetchDue(s, JwksNeed::kRoutine, t0, o)) << "no keys yet";
  EXPECT_TRUE(jwksFetchDue(s, JwksNeed::kUnknownKey, t0, o));

  auto failed = jwksAfterFetch(s, JwksNeed::kRoutine, false, t0, t0 + 100ms, 600s, o);
  EXPECT_FALSE(failed.haveKeys);
  EXPECT_EQ(failed.consecutiveFailures, 1u);
  EXPECT_EQ(failed.retryAt, t0 + 350ms);
  EXPECT_FALSE(jwksFetchDue(failed, JwksNeed::kRoutine, t0 + 349ms, o));
  EXPECT_FALSE(jwksFetchDue(failed, JwksNeed::kUnknownKey, t0 + 349ms, o));
  EXPECT_TRUE(jwksFetchDue(failed, JwksNeed::kRoutine, t0 + 350ms, o));

  auto twice = jwksAfterFetch(failed, JwksNeed::kRoutine, false, t0, t0 + 400ms, 600s, o);
  EXPECT_EQ(twice.consecutiveFailures, 2u);
  EXPECT_EQ(twice.retryAt, t0 + 900ms);

  // A successful fetch for an unknown kid: held keys, failures cleared, the kid limit set.
  auto ok = jwksAfterFetch(twice, JwksNeed::kUnknownKey, true, t0 + 1s, t0 + 1100ms, 600s, o);
  EXPECT_TRUE(ok.haveKeys);
  EXPECT_EQ(ok.consecutiveFailures, 0u);
  EXPECT_EQ(ok.expiresAt, t0 + 1100ms + 600s);
  ASSERT_TRUE(ok.lastUnknownKeyFetch);
  EXPECT_EQ(*ok.lastUnknownKeyFetch, t0 + 1s);
  EXPECT_FALSE(jwksFetchDue(ok, JwksNeed::kRoutine, t0 + 2s, o)) << "fresh keys";
  EXPECT_FALSE(jwksFetchDue(ok, JwksNeed::kUnknownKey, t0 + 30s, o)) << "kid limit: 30 s";
  EXPECT_TRUE(jwksFetchDue(ok, JwksNeed::kUnknownKey, t0 + 31s, o));
  EXPECT_TRUE(jwksFetchDue(ok, JwksNeed::kRoutine, t0 + 1100ms + 600s, o)) << "expired";

  // A failed fetch for an unknown kid does not start the kid limit, and keeps the keys.
  auto kidFail = jwksAfterFetch(ok, JwksNeed::kUnknownKey, false, t0 + 40s, t0 + 40s, 600s, o);
  EXPECT_TRUE(kidFail.haveKeys);
  EXPECT_EQ(*kidFail.lastUnknownKeyFetch, t0 + 1s);
  EXPECT_TRUE(jwksFetchDue(kidFail, JwksNeed::kUnknownKey, t0 + 40250ms, o));

  // A routine success does not start the kid limit either.
  auto routine = jwksAfterFetch(JwksFetchState{}, JwksNeed::kRoutine, true, t0, t0, 600s, o);
  EXPECT_FALSE(routine.lastUnknownKeyFetch);
  EXPECT_TRUE(jwksFetchDue(routine, JwksNeed::kUnknownKey, t0, o));
}

TEST_F(JwksCacheTest, GarbageFromProviderKeepsLastGoodSet) {
  provider_.publish({1});
  ASSERT_TRUE(cache_.verify(token(1), policy()));
  JwksCache broken{kUrl,
                   [](const std::string&) {
                     return Result<FetchedJwks>(FetchedJwks{"{oops", {}});
                   },
                   clock_};
  auto r = broken.keys();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kBadJson);
}

TEST_F(JwksCacheTest, NoSetEverLoadedFailsClosed) {
  provider_.setDown(true);
  auto r = cache_.verify(token(1), policy());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kJwksFetchFailed);
}

TEST_F(JwksCacheTest, HonoursCacheControlWithinBounds) {
  provider_.publish({1}, 60s);  // below the 5 min floor
  ASSERT_TRUE(cache_.keys());
  clock_.advance(299s);
  ASSERT_TRUE(cache_.keys());
  EXPECT_EQ(provider_.calls(), 1);
  clock_.advance(2s);
  ASSERT_TRUE(cache_.keys());
  EXPECT_EQ(provider_.calls(), 2);

  provider_.publish({1}, std::chrono::seconds(7 * 86400));  // above the 24 h ceiling
  clock_.advance(301s);
  ASSERT_TRUE(cache_.keys());
  EXPECT_EQ(provider_.calls(), 3);
  clock_.advance(23h);
  ASSERT_TRUE(cache_.keys());
  EXPECT_EQ(provider_.calls(), 3);
  clock_.advance(1h + 1s);
  ASSERT_TRUE(cache_.keys());
  EXPECT_EQ(provider_.calls(), 4);
}

TEST_F(JwksCacheTest, ConcurrentCallersShareOneFetch) {
  provider_.publish({1});
  provider_.closeGate();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] { ok += cache_.verify(token(1), policy()) ? 1 : 0; });
  provider_.waitForBlockedFetch();  // the first caller is inside the fetch
  for (int i = 0; i < 7; ++i) {
    threads.emplace_back([&] { ok += cache_.verify(token(1), policy()) ? 1 : 0; });
  }
  std::this_thread::sleep_for(50ms);  // let them reach the wait
  provider_.openGate();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(provider_.calls(), 1);
}

TEST_F(JwksCacheTest, ConcurrentUnknownKidCallersShareOneRefetch) {
  provider_.publish({1});
  ASSERT_TRUE(cache_.verify(token(1), policy()));
  provider_.publish({1, 2});
  provider_.closeGate();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] { ok += cache_.verify(token(2), policy()) ? 1 : 0; });
  provider_.waitForBlockedFetch();
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&] { ok += cache_.verify(token(2), policy()) ? 1 : 0; });
  }
  std::this_thread::sleep_for(50ms);
  provider_.openGate();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(provider_.calls(), 2);
}

TEST_F(JwksCacheTest, ThrowingFetcherDoesNotWedgeTheCache) {
  int calls = 0;
  JwksCache c{kUrl,
              [&](const std::string&) -> Result<FetchedJwks> {
                ++calls;
                throw std::runtime_error("boom");
              },
              clock_};
  EXPECT_FALSE(c.keys());
  clock_.advance(31s);
  EXPECT_FALSE(c.keys());
  EXPECT_EQ(calls, 2);
}

TEST_F(JwksCacheTest, CachingVerifierServesRepeatTokensWithoutReverifying) {
  provider_.publish({1});
  CachingVerifier v(cache_, policy(), clock_, 4);
  auto t = token(1);
  auto a = v.verify(t);
  ASSERT_TRUE(a);
  auto b = v.verify(t);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->get(), b->get());  // the same cached object
  std::string bad = t;
  bad[bad.rfind('.') + 1] ^= 1;
  EXPECT_FALSE(v.verify(bad));
}

}  // namespace
}  // namespace authgate::jose
