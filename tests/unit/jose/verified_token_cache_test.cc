#include "authgate/jose/verified_token_cache.h"

#include <gtest/gtest.h>

namespace authgate::jose {
namespace {

using namespace std::chrono_literals;
constexpr int64_t kNow = 1'700'000'000;

std::shared_ptr<const VerifiedJwt> jwtWithExp(std::optional<int64_t> exp) {
  auto j = std::make_shared<VerifiedJwt>();
  j->claims["sub"] = "u";
  if (exp) j->claims["exp"] = *exp;
  return j;
}

TEST(VerifiedTokenCache, ReturnsEntryUntilExpThenNever) {
  core::ManualClock clock(kNow);
  VerifiedTokenCache cache(8, 3600s);
  cache.insert("tok", jwtWithExp(kNow + 10), clock);
  EXPECT_NE(cache.find("tok", clock), nullptr);
  clock.advance(9s);
  EXPECT_NE(cache.find("tok", clock), nullptr);
  clock.advance(1s);  // now == exp: no longer valid (RFC 7519 s4.1.4)
  EXPECT_EQ(cache.find("tok", clock), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(VerifiedTokenCache, CapsEntryAgeBelowExp) {
  core::ManualClock clock(kNow);
  VerifiedTokenCache cache(8, 60s);
  cache.insert("tok", jwtWithExp(kNow + 3600), clock);
  clock.advance(59s);
  EXPECT_NE(cache.find("tok", clock), nullptr);
  clock.advance(1s);
  EXPECT_EQ(cache.find("tok", clock), nullptr);
}

TEST(VerifiedTokenCache, NeverCachesTokensWithoutExpOrAlreadyExpired) {
  core::ManualClock clock(kNow);
  VerifiedTokenCache cache;
  cache.insert("a", jwtWithExp(std::nullopt), clock);
  cache.insert("b", jwtWithExp(kNow), clock);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(VerifiedTokenCache, EvictsLeastRecentlyUsed) {
  core::ManualClock clock(kNow);
  VerifiedTokenCache cache(2, 3600s);
  cache.insert("a", jwtWithExp(kNow + 100), clock);
  cache.insert("b", jwtWithExp(kNow + 100), clock);
  ASSERT_NE(cache.find("a", clock), nullptr);  // a is now most recent
  cache.insert("c", jwtWithExp(kNow + 100), clock);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.find("a", clock), nullptr);
  EXPECT_EQ(cache.find("b", clock), nullptr);
  EXPECT_NE(cache.find("c", clock), nullptr);
}

TEST(VerifiedTokenCache, DistinguishesTokensByFullContent) {
  core::ManualClock clock(kNow);
  VerifiedTokenCache cache;
  cache.insert("token-1", jwtWithExp(kNow + 100), clock);
  EXPECT_EQ(cache.find("token-2", clock), nullptr);
  EXPECT_EQ(cache.find("token-", clock), nullptr);
}

}  // namespace
}  // namespace authgate::jose
