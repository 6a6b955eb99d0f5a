// The refresh rules of authgate/oidc/refresh_policy.h: values in, values out.
#include "authgate/oidc/refresh_policy.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "authgate/core/errc.h"
#include "authgate/oidc/errc.h"

namespace authgate::oidc {
namespace {

using std::chrono::seconds;
constexpr int64_t kNow = 1'700'000'000;

core::TokenSet tokens(int64_t expiresAt, bool withRefreshToken = true) {
  core::TokenSet t;
  t.accessToken = core::Secret("at");
  t.accessTokenExpiresAt = expiresAt;
  if (withRefreshToken) t.refreshToken = core::Secret("rt");
  return t;
}

TEST(NeedsRefresh, FollowsTheRefreshWindow) {
  struct Case {
    const char* name;
    core::TokenSet t;
    bool expected;
  };
  const Case cases[] = {
      {"far from expiry", tokens(kNow + 3600), false},
      {"just outside the window", tokens(kNow + 61), false},
      {"at the window edge", tokens(kNow + 60), true},
      {"inside the window", tokens(kNow + 10), true},
      {"already expired", tokens(kNow - 5), true},
      {"expiry unknown", tokens(0), false},
      {"no refresh token", tokens(kNow + 10, false), false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(needsRefresh(c.t, kNow, seconds(60)), c.expected) << c.name;
  }
}

TEST(AccessTokenUsable, UntilItsExpiry) {
  EXPECT_TRUE(accessTokenUsable(tokens(kNow + 1), kNow));
  EXPECT_FALSE(accessTokenUsable(tokens(kNow), kNow));
  EXPECT_FALSE(accessTokenUsable(tokens(kNow - 100), kNow));
  EXPECT_TRUE(accessTokenUsable(tokens(0), kNow)) << "unknown expiry: the provider decides";
}

TEST(ProviderNotBefore, ReadsRetryAfterAndRateLimitReset) {
  struct Case {
    const char* name;
    std::optional<std::string_view> retryAfter;
    std::optional<std::string_view> reset;
    std::optional<int64_t> expected;
  };
  const std::string resetIn30 = std::to_string(kNow + 30);
  const std::string resetPast = std::to_string(kNow - 30);
  const std::string resetFar = std::to_string(kNow + 86400);
  const Case cases[] = {
      {"neither header", std::nullopt, std::nullopt, std::nullopt},
      {"retry-after seconds", "5", std::nullopt, kNow + 5},
      {"retry-after with spaces", " 7 ", std::nullopt, kNow + 7},
      {"x-ratelimit-reset epoch", std::nullopt, resetIn30, kNow + 30},
      {"the later one wins", "5", resetIn30, kNow + 30},
      {"retry-after later than reset", "60", resetIn30, kNow + 60},
      {"reset in the past means now", std::nullopt, resetPast, kNow},
      {"capped", std::nullopt, resetFar, kNow + 3600},
      {"http-date ignored", "Wed, 21 Oct 2015 07:28:00 GMT", std::nullopt, std::nullopt},
      {"negative ignored", "-5", std::nullopt, std::nullopt},
      {"garbage ignored", "soon", "later", std::nullopt},
      {"reset that is not an epoch ignored", std::nullopt, "30", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(providerNotBefore(c.retryAfter, c.reset, kNow, seconds(3600)), c.expected) << c.name;
  }
}

TEST(BackoffDelay, DoublesUpToOneMinute) {
  EXPECT_EQ(backoffDelay(0), seconds(1));
  EXPECT_EQ(backoffDelay(1), seconds(1));
  EXPECT_EQ(backoffDelay(2), seconds(2));
  EXPECT_EQ(backoffDelay(3), seconds(4));
  EXPECT_EQ(backoffDelay(6), seconds(32));
  EXPECT_EQ(backoffDelay(7), seconds(60));
  EXPECT_EQ(backoffDelay(1000), seconds(60));
}

TEST(MergeRefreshedClaims, NewIdTokenClaimsReplaceStoredOnes) {
  auto stored = boost::json::parse(R"({"sub":"u","email":"old@example.com","nonce":"n","exp":1,)"
                                   R"("address":"from userinfo","roles":["admin"]})")
                    .as_object();
  auto fresh =
      boost::json::parse(R"({"sub":"u","email":"new@example.com","exp":2,"roles":[]})").as_object();
  auto merged = mergeRefreshedClaims(stored, fresh);
  EXPECT_EQ(merged.at("email"), "new@example.com");
  EXPECT_EQ(merged.at("exp"), 2);
  EXPECT_TRUE(merged.at("roles").as_array().empty()) << "a lost role must be seen";
  EXPECT_EQ(merged.at("address"), "from userinfo");
  EXPECT_FALSE(merged.contains("nonce")) << "the login nonce does not carry over";
}

TEST(ClassifyRefreshError, OnlyInvalidGrantEndsTheSession) {
  EXPECT_EQ(classifyRefreshError(oidc::make_error_code(oidc::Errc::kInvalidGrant)),
            RefreshFailure::kEndSession);
  for (auto e : {oidc::Errc::kTokenEndpointUnavailable, oidc::Errc::kTokenEndpointRejected,
                 oidc::Errc::kBadTokenResponse, oidc::Errc::kMissingAccessToken,
                 oidc::Errc::kBadExpiresIn}) {
    EXPECT_EQ(classifyRefreshError(oidc::make_error_code(e)), RefreshFailure::kTransient)
        << core::errorName(oidc::make_error_code(e));
  }
}

TEST(LiveRefreshToken, TheRotatedOneElseTheOneHeld) {
  auto held = tokens(kNow);
  core::TokenSet rotated;
  rotated.refreshToken = core::Secret("rt-2");
  EXPECT_EQ(liveRefreshToken(held, rotated).reveal(), "rt-2");
  core::TokenSet notRotated;
  notRotated.accessToken = core::Secret("at-2");
  EXPECT_EQ(liveRefreshToken(held, notRotated).reveal(), "rt")
      << "without rotation the provider sends none and the old one lives on";
}

TEST(ClassifyRefreshError, AnErrorOfAnotherModuleIsTransient) {
  // Only invalid_grant proves the grant dead; an error from elsewhere (a store, the
  // crypto layer) keeps the session.
  EXPECT_EQ(classifyRefreshError(core::makeError(core::Errc::kCryptoFailure)),
            RefreshFailure::kTransient);
  EXPECT_EQ(classifyRefreshError(error_code{}), RefreshFailure::kTransient);
}

}  // namespace
}  // namespace authgate::oidc
