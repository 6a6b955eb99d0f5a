// The provider client against a real HTTP provider on 127.0.0.1 (our own net::Server
// serving discovery and a JWKS the test changes): keys rotate without a failed request,
// whether the new key is published before or after the first token signed with it;
// unknown kids refetch at most once per 30 s; the last good set survives an outage.
#include "authgate/rp/provider_client.h"
#include "net/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "../jose/test_signer.h"
#include "authgate/core/clock.h"
#include "authgate/core/metrics.h"
#include "authgate/jose/errc.h"
#include "authgate/oidc/id_token.h"
#include "gateway/router.h"
#include "net/server.h"

namespace authgate::net {

// The client under test is the library's; the provider it talks to is served by net.
using rp::ProviderClient;
using rp::ProviderClientOptions;
namespace {

namespace jt = jose::testing;

class FakeProvider {
 public:
  FakeProvider() {
    router_.get("/.well-known/openid-configuration", [this](const Request& req, RequestContext&) {
      std::string issuer = this->issuer();
      std::string body = "{\"issuer\":\"" + issuer + "\",\"authorization_endpoint\":\"" + issuer +
                         "authorize\",\"token_endpoint\":\"" + issuer +
                         "oauth/token\",\"jwks_uri\":\"" + issuer +
                         ".well-known/jwks.json\",\"response_types_supported\":[\"code\"]}";
      return makeResponse(req, http::status::ok, body, "application/json");
    });
    router_.get("/.well-known/jwks.json", [this](const Request& req, RequestContext&) {
      ++jwksFetches_;
      std::lock_guard lock(mu_);
      if (down_) return makeResponse(req, http::status::service_unavailable, "down");
      auto res = makeResponse(req, http::status::ok, jwks_, "application/json");
      res.set(http::field::cache_control, "public, max-age=600");
      return res;
    });
    ServerOptions o;
    o.threads = 1;
    o.handle_signals = false;
    server_ = std::make_unique<Server>(o, router_, metrics_);
    EXPECT_TRUE(server_->start());
    thread_ = std::thread([this] { server_->run(); });
  }
  ~FakeProvider() {
    server_->drain();
    thread_.join();
  }
  std::string issuer() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/"; }
  void publish(std::initializer_list<const boost::json::object*> keys) {
    std::lock_guard lock(mu_);
    jwks_ = jt::jwksOf(keys);
  }
  void setDown(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
  }
  int jwksFetches() const { return jwksFetches_; }

 private:
  gateway::Router router_;
  core::MetricsRegistry metrics_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::mutex mu_;
  std::string jwks_ = "{\"keys\":[]}";
  bool down_ = false;
  std::atomic<int> jwksFetches_{0};
};

ClientOptions noRetries() {
  ClientOptions o;
  o.max_retries = 0;
  return o;
}

ProviderClientOptions providerOptions(std::string issuer) {
  ProviderClientOptions o;
  o.issuer = std::move(issuer);
  return o;
}

class ProviderClientRotation : public ::testing::Test {
 protected:
  ProviderClientRotation()
      : keyA_(jt::makeRsaKey(2048, "key-a")),
        keyB_(jt::makeRsaKey(2048, "key-b")),
        http_(noRetries()),
        client_(http_, clock_, providerOptions(provider_.issuer())) {
    provider_.publish({&keyA_.jwk});
  }

  std::string token(const jt::TestKey& key, const std::string& kid) {
    const auto now = clock_.unixSeconds();
    std::string header = R"({"alg":"RS256","typ":"JWT","kid":")" + kid + "\"}";
    std::string claims = R"({"iss":")" + provider_.issuer() +
                         R"(","aud":"client","sub":"auth0|alice","iat":)" + std::to_string(now) +
                         ",\"exp\":" + std::to_string(now + 300) + "}";
    return jt::signCompact(jose::Alg::kRS256, key.pkey.get(), header, claims);
  }

  Result<oidc::ValidatedIdToken> verify(const std::string& jwt) {
    oidc::IdTokenExpectations expect;
    expect.issuer = provider_.issuer();
    expect.client_id = "client";
    return client_.withKeys<oidc::ValidatedIdToken>([&](const jose::KeyStore& keys) {
      return oidc::validateIdToken(jwt, keys, expect, clock_);
    });
  }

  FakeProvider provider_;
  core::ManualClock clock_{core::SystemClock::instance().unixSeconds()};
  jt::TestKey keyA_;
  jt::TestKey keyB_;
  CurlHttpClient http_;
  ProviderClient client_;
};

TEST_F(ProviderClientRotation, VerifiesWithDiscoveredKeys) {
  auto r = verify(token(keyA_, "key-a"));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->sub, "auth0|alice");
  EXPECT_EQ(provider_.jwksFetches(), 1);
}

TEST_F(ProviderClientRotation, NewKeyPublishedBeforeFirstTokenIsPickedUpWithoutFailure) {
  ASSERT_TRUE(verify(token(keyA_, "key-a")));
  // Auth0 publishes the next key ahead of signing with it.
  provider_.publish({&keyA_.jwk, &keyB_.jwk});
  auto r = verify(token(keyB_, "key-b"));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(provider_.jwksFetches(), 2);       // one refetch, triggered by the unknown kid
  EXPECT_TRUE(verify(token(keyA_, "key-a")));  // the old key still verifies
}

TEST_F(ProviderClientRotation, NewKeyPublishedWithItsFirstTokenIsPickedUpWithoutFailure) {
  ASSERT_TRUE(verify(token(keyA_, "key-a")));
  // The provider switches to key B and publishes it at the same moment (A retired).
  provider_.publish({&keyB_.jwk});
  auto r = verify(token(keyB_, "key-b"));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(provider_.jwksFetches(), 2);
}

TEST_F(ProviderClientRotation, UnknownKidRefetchesAtMostOncePer30Seconds) {
  ASSERT_TRUE(verify(token(keyA_, "key-a")));
  auto bogus = token(keyB_, "never-published");
  for (int i = 0; i < 5; ++i) {
    auto r = verify(bogus);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), jose::Errc::kUnknownKid);
  }
  EXPECT_EQ(provider_.jwksFetches(), 2);  // the first load + one refetch
  clock_.advance(std::chrono::seconds(31));
  EXPECT_FALSE(verify(bogus));
  EXPECT_EQ(provider_.jwksFetches(), 3);
}

TEST_F(ProviderClientRotation, LastGoodKeysStayWhileTheProviderIsDown) {
  ASSERT_TRUE(verify(token(keyA_, "key-a")));
  provider_.setDown(true);
  clock_.advance(std::chrono::seconds(3600));  // past the cache lifetime
  auto r = verify(token(keyA_, "key-a"));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_GE(provider_.jwksFetches(), 2);  // it tried, failed, and kept the old set
}

}  // namespace
}  // namespace authgate::net
