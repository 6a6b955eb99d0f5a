// The Refresher against a scripted provider (fake HttpClient) and the memory store:
// single flight, the provider-error table of docs/LIFECYCLE.md, and backoff, on a
// manual clock.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "authgate/core/metrics.h"
#include "authgate/core/random.h"
#include "authgate/rp/provider_client.h"
#include "authgate/rp/relying_party.h"
#include "authgate/session/errc.h"
#include "authgate/session/memory_store.h"
#include "authgate/session/session_manager.h"
#include "rp/refresher.h"

namespace authgate::rp {
namespace {

constexpr const char* kIssuer = "https://op.example/";
constexpr const char* kTokenEndpoint = "https://op.example/oauth/token";
constexpr int64_t kStart = 1'800'000'000;

// Serves discovery and answers token requests from a script (default: a rotated pair).
class ScriptedProvider final : public rp::HttpClient {
 public:
  Result<rp::HttpResponse> send(const rp::HttpRequest& req) override {
    rp::HttpResponse res;
    if (req.url.ends_with("/.well-known/openid-configuration")) {
      res.status = 200;
      res.body = R"({"issuer":"https://op.example/",
        "authorization_endpoint":"https://op.example/authorize",
        "token_endpoint":"https://op.example/oauth/token",
        "jwks_uri":"https://op.example/.well-known/jwks.json",
        "response_types_supported":["code"]})";
      return res;
    }
    if (req.url != kTokenEndpoint) return rp::make_error_code(rp::Errc::kConnectFailed);
    const int n = ++tokenRequests;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let callers pile up
    std::lock_guard lock(mu_);
    if (!next_.empty()) {
      res = next_.front();
      next_.erase(next_.begin());
      return res;
    }
    res.status = 200;
    res.body = R"({"access_token":"at-)" + std::to_string(n) +
               R"(","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-)" +
               std::to_string(n) + R"("})";
    return res;
  }
  void queue(long status, std::string body, rp::Headers headers = {}) {
    std::lock_guard lock(mu_);
    rp::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    next_.push_back(std::move(r));
  }
  std::atomic<int> tokenRequests{0};

 private:
  std::mutex mu_;
  std::vector<rp::HttpResponse> next_;
};

class RefresherTest : public ::testing::Test {
 protected:
  RefresherTest()
      : store_(session::makeMemoryStore(clock_)),
        sessions_(*store_,
                  *session::TokenCipher::fromKeys(
                      {core::Secret("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")}),
                  audit_, clock_, core::OpenSslRandom::instance()),
        provider_(std::make_shared<rp::ProviderClient>(
            http_, clock_, rp::ProviderClientOptions{.issuer = kIssuer, .discovery_url = ""})),
        party_(makeParty()) {}

  std::unique_ptr<RelyingParty> makeParty() {
    RelyingPartySettings settings;
    settings.client.issuer = kIssuer;
    settings.client.client_id = "client";
    settings.client.client_secret = core::Secret("secret");
    settings.client.redirect_uri = "https://app.example/auth/callback";
    settings.publicUrl = "https://app.example";
    settings.refreshBeforeExpiry = std::chrono::seconds(60);
    return std::make_unique<RelyingParty>(std::move(settings), provider_, sessions_, clock_,
                                          core::OpenSslRandom::instance(), nullptr, &metrics_);
  }

  // A signed-in session whose access token expires in `expiresIn` seconds.
  session::Session signedIn(int64_t expiresIn) {
    session::LoginInfo login;
    login.subject = "auth0|alice";
    login.tokens.accessToken = core::Secret("at-0");
    login.tokens.accessTokenExpiresAt = clock_.unixSeconds() + expiresIn;
    login.tokens.refreshToken = core::Secret("rt-0");
    auto created = sessions_.create(login);
    EXPECT_TRUE(created);
    return created->session;
  }

  core::ManualClock clock_{kStart};
  std::unique_ptr<session::SessionStore> store_;
  session::NullAuditSink audit_;
  session::SessionManager sessions_;
  ScriptedProvider http_;
  std::shared_ptr<rp::ProviderClient> provider_;
  core::MetricsRegistry metrics_;
  std::unique_ptr<RelyingParty> party_;
  // The refresher under test (its waiters' fallback set per test); the party's own is
  // not used here.
  std::shared_ptr<Refresher> refresher_ = std::make_shared<Refresher>();
};

TEST_F(RefresherTest, FreshTokensAreNotRefreshed) {
  auto s = signedIn(3600);
  auto r = refresher_->ensureFresh(*party_, s);
  EXPECT_EQ(r.status, RefreshStatus::kNotNeeded);
  EXPECT_EQ(http_.tokenRequests, 0);
}

TEST_F(RefresherTest, ConcurrentCallersShareOneTokenRequest) {
  auto s = signedIn(30);
  std::vector<std::thread> threads;
  std::vector<RefreshResult> results(24);
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = refresher_->ensureFresh(*party_, s); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(http_.tokenRequests, 1) << "a rotated refresh token must be redeemed once";
  for (const auto& r : results) {
    ASSERT_EQ(r.status, RefreshStatus::kRefreshed);
    EXPECT_EQ(r.session->tokens.accessToken.reveal(), "at-1");
  }
  auto stored = sessions_.reload(s);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->tokens.refreshToken.reveal(), "rt-1") << "the new refresh token is stored";
  EXPECT_EQ(stored->refreshCount, 1u);

  // A caller holding the stale snapshot does not redeem the old token again.
  auto late = refresher_->refreshNow(*party_, s);
  EXPECT_EQ(late.status, RefreshStatus::kRefreshed);
  EXPECT_EQ(http_.tokenRequests, 1);
}

TEST_F(RefresherTest, InvalidGrantEndsTheSession) {
  auto s = signedIn(30);
  http_.queue(
      403, R"({"error":"invalid_grant","error_description":"Unknown or invalid refresh token."})");
  auto r = refresher_->ensureFresh(*party_, s);
  EXPECT_EQ(r.status, RefreshStatus::kEnded);
  EXPECT_EQ(r.error, oidc::Errc::kInvalidGrant);
  auto gone = sessions_.reload(s);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(), session::Errc::kRevoked);
}

TEST_F(RefresherTest, ServerErrorKeepsTheSessionAndBacksOff) {
  auto s = signedIn(30);
  http_.queue(503, R"({"error":"server_error"})");
  auto r = refresher_->ensureFresh(*party_, s);
  EXPECT_EQ(r.status, RefreshStatus::kDeferred) << "the current token is still valid";
  EXPECT_EQ(r.session->tokens.accessToken.reveal(), "at-0");
  EXPECT_TRUE(sessions_.reload(s)) << "session kept";

  EXPECT_EQ(refresher_->ensureFresh(*party_, s).status, RefreshStatus::kDeferred);
  EXPECT_EQ(http_.tokenRequests, 1) << "no retry inside the backoff";
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(refresher_->ensureFresh(*party_, s).status, RefreshStatus::kRefreshed);
  EXPECT_EQ(http_.tokenRequests, 2);
}

TEST_F(RefresherTest, RateLimitHonoursRetryAfterAndReset) {
  auto s = signedIn(50);
  http_.queue(429, R"({"error":"too_many_requests"})",
              {{"retry-after", "5"}, {"x-ratelimit-reset", std::to_string(kStart + 20)}});
  EXPECT_EQ(refresher_->ensureFresh(*party_, s).status, RefreshStatus::kDeferred);
  clock_.advance(std::chrono::seconds(10));
  EXPECT_EQ(refresher_->ensureFresh(*party_, s).status, RefreshStatus::kDeferred);
  EXPECT_EQ(http_.tokenRequests, 1) << "X-RateLimit-Reset (20 s) wins over Retry-After (5 s)";
  clock_.advance(std::chrono::seconds(11));
  EXPECT_EQ(refresher_->ensureFresh(*party_, s).status, RefreshStatus::kRefreshed);
  EXPECT_EQ(http_.tokenRequests, 2);
}

TEST_F(RefresherTest, ExpiredTokenWithProviderDownIsUnavailableNotALogout) {
  auto s = signedIn(-1);
  http_.queue(502, "bad gateway");
  auto r = refresher_->ensureFresh(*party_, s);
  EXPECT_EQ(r.status, RefreshStatus::kUnavailable);
  EXPECT_GE(r.retryAfter, 1);
  EXPECT_TRUE(sessions_.reload(s)) << "session kept";
}

TEST_F(RefresherTest, ExplicitRefreshWithoutRefreshTokenSaysSo) {
  session::LoginInfo login;
  login.subject = "auth0|bob";
  login.tokens.accessToken = core::Secret("at");
  login.tokens.accessTokenExpiresAt = clock_.unixSeconds() + 30;
  auto created = sessions_.create(login);
  ASSERT_TRUE(created);
  EXPECT_EQ(refresher_->refreshNow(*party_, created->session).status,
            RefreshStatus::kNoRefreshToken);
  EXPECT_EQ(refresher_->ensureFresh(*party_, created->session).status, RefreshStatus::kNotNeeded);
  EXPECT_EQ(http_.tokenRequests, 0);
}

// --- Waiting for another holder (another instance holds the store lock) ---

uint64_t refreshCounter(core::MetricsRegistry& m, const char* result, const char* reason) {
  return m
      .counter("authgate_refresh_total", "Token refresh attempts by outcome and reason.",
               {{"result", result}, {"reason", reason}})
      .value();
}

uint64_t wakeups(core::MetricsRegistry& m, const char* by) {
  return m
      .counter("authgate_refresh_wait_wakeups_total",
               "Wake-ups of requests waiting for another instance's refresh, by cause.",
               {{"by", by}})
      .value();
}

// Until `n` requests wait (the waiter is parked on its condition variable).
void untilWaiting(Refresher& r, size_t n) {
  while (r.waiters().waiting() < n) std::this_thread::yield();
}

TEST(RefreshWaitersTest, AnEventForTheKeyWakesItsWaitersOnly) {
  RefreshWaiters w;
  auto mine = w.watch("k1");
  auto other = w.watch("k2");
  w.notify("k2");
  w.notify("k3");  // nobody waits: dropped
  const auto soon = RefreshWaiters::Clock::now() + std::chrono::milliseconds(20);
  EXPECT_FALSE(w.wait(*mine, soon)) << "another session's event does not wake k1";
  EXPECT_TRUE(w.wait(*other, soon)) << "an event between watch() and wait() is not lost";
  EXPECT_FALSE(w.wait(*other, soon)) << "each event wakes once";

  std::atomic<bool> woken{false};
  std::thread t(
      [&] { woken = w.wait(*mine, RefreshWaiters::Clock::now() + std::chrono::seconds(60)); });
  while (w.waiting() < 1) std::this_thread::yield();
  w.notify("k1");
  t.join();
  EXPECT_TRUE(woken);
}

TEST(RefreshWaitersTest, AnInterruptedChannelWakesEveryone) {
  RefreshWaiters w;
  auto a = w.watch("k1");
  auto b = w.watch("k2");
  w.notify("");
  const auto soon = RefreshWaiters::Clock::now() + std::chrono::milliseconds(20);
  EXPECT_TRUE(w.wait(*a, soon));
  EXPECT_TRUE(w.wait(*b, soon));
  a.reset();
  b.reset();
  auto c = w.watch("k1");
  EXPECT_FALSE(w.wait(*c, soon)) << "a new ticket starts after earlier events";
}

TEST_F(RefresherTest, UsableTokenDoesNotWaitForAnotherHolder) {
  auto s = signedIn(30);
  auto held = sessions_.lockRefresh(s);  // another instance's refresh
  ASSERT_TRUE(held);
  auto r = refresher_->ensureFresh(*party_, s);
  EXPECT_EQ(r.status, RefreshStatus::kDeferred);
  EXPECT_EQ(r.session->tokens.accessToken.reveal(), "at-0") << "goes on with its token";
  EXPECT_EQ(refreshCounter(metrics_, "deferred", "lock_held"), 1u);
  EXPECT_EQ(http_.tokenRequests, 0);
  EXPECT_EQ(wakeups(metrics_, "event") + wakeups(metrics_, "timer"), 0u) << "never waited";
}

TEST_F(RefresherTest, ExpiredTokenIsWokenByTheHoldersStoredTokens) {
  // A fallback longer than the whole wait: only the event can end it early.
  refresher_ = std::make_shared<Refresher>(std::chrono::seconds(120));
  auto events = Refresher::listen(sessions_, refresher_);
  auto s = signedIn(-1);
  auto held = sessions_.lockRefresh(s);
  ASSERT_TRUE(held);
  RefreshResult r;
  std::thread waiter([&] { r = refresher_->ensureFresh(*party_, s); });
  untilWaiting(*refresher_, 1);

  // The holder stores new tokens (and releases its lock).
  core::TokenSet fresh;
  fresh.accessToken = core::Secret("at-holder");
  fresh.accessTokenExpiresAt = clock_.unixSeconds() + 3600;
  fresh.refreshToken = core::Secret("rt-holder");
  auto current = sessions_.reload(s);
  ASSERT_TRUE(current);
  ASSERT_TRUE(sessions_.updateTokens(*current, fresh));
  waiter.join();
  ASSERT_TRUE(sessions_.unlockRefresh(*held));

  ASSERT_EQ(r.status, RefreshStatus::kRefreshed);
  EXPECT_EQ(r.session->tokens.accessToken.reveal(), "at-holder");
  EXPECT_EQ(refreshCounter(metrics_, "refreshed", "waited"), 1u);
  EXPECT_EQ(wakeups(metrics_, "event"), 1u);
  EXPECT_EQ(wakeups(metrics_, "timer"), 0u);
  EXPECT_EQ(http_.tokenRequests, 0) << "the waiter redeemed nothing";
  EXPECT_EQ(refresher_->waiters().waiting(), 0u);
}

TEST_F(RefresherTest, TheTimerEndsAWaitWhoseEventIsLost) {
  // Not subscribed: no event ever arrives (as from SQLite instances in other processes).
  refresher_ = std::make_shared<Refresher>(std::chrono::milliseconds(10));
  auto s = signedIn(-1);
  auto held = sessions_.lockRefresh(s);
  ASSERT_TRUE(held);
  RefreshResult r;
  std::thread waiter([&] { r = refresher_->ensureFresh(*party_, s); });
  untilWaiting(*refresher_, 1);
  core::TokenSet fresh;
  fresh.accessToken = core::Secret("at-holder");
  fresh.accessTokenExpiresAt = clock_.unixSeconds() + 3600;
  auto current = sessions_.reload(s);
  ASSERT_TRUE(current);
  ASSERT_TRUE(sessions_.updateTokens(*current, fresh));
  waiter.join();
  ASSERT_EQ(r.status, RefreshStatus::kRefreshed);
  EXPECT_EQ(r.session->tokens.accessToken.reveal(), "at-holder");
  EXPECT_GE(wakeups(metrics_, "timer"), 1u);
  EXPECT_EQ(wakeups(metrics_, "event"), 0u);
  EXPECT_TRUE(sessions_.unlockRefresh(*held));
}

TEST_F(RefresherTest, AHolderThatGivesUpHandsTheRefreshToTheWaiter) {
  refresher_ = std::make_shared<Refresher>(std::chrono::seconds(120));
  auto events = Refresher::listen(sessions_, refresher_);
  auto s = signedIn(-1);
  auto held = sessions_.lockRefresh(s);
  ASSERT_TRUE(held);
  RefreshResult r;
  std::thread waiter([&] { r = refresher_->ensureFresh(*party_, s); });
  untilWaiting(*refresher_, 1);
  ASSERT_TRUE(sessions_.unlockRefresh(*held));  // no new tokens (a transient failure)
  waiter.join();
  ASSERT_EQ(r.status, RefreshStatus::kRefreshed);
  EXPECT_EQ(r.session->tokens.accessToken.reveal(), "at-1") << "the waiter refreshed itself";
  EXPECT_EQ(http_.tokenRequests, 1);
  EXPECT_EQ(wakeups(metrics_, "event"), 1u);
}

TEST(RefreshStatusName, IsStableAndDistinct) {
  std::set<std::string_view> names;
  for (auto s : {RefreshStatus::kNotNeeded, RefreshStatus::kRefreshed, RefreshStatus::kDeferred,
                 RefreshStatus::kUnavailable, RefreshStatus::kEnded,
                 RefreshStatus::kStoreUnavailable, RefreshStatus::kNoRefreshToken}) {
    names.insert(refreshStatusName(s));
  }
  EXPECT_EQ(names.size(), 7u);
  EXPECT_EQ(refreshStatusName(RefreshStatus::kEnded), "ended");
}

}  // namespace
}  // namespace authgate::rp
