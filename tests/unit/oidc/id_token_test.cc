#include "authgate/oidc/id_token.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

#include "authgate/jose/errc.h"
#include "test_support.h"

namespace authgate::oidc {
namespace {

using testing::FixedRandom;
using testing::signHs256;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-client-secret";
constexpr std::int64_t kNow = 1'700'000'000;

struct Fixture {
  core::ManualClock clock{kNow};
  FixedRandom random;
  RelyingPartyOptions rp;
  LoginTransaction txn;
  jose::KeyStore keys;  // HS256: the client secret verifies, no JWKS needed
  Fixture() {
    rp.issuer = "https://tenant.auth0.com/";
    rp.client_id = "client-1";
    rp.client_secret = core::Secret(std::string(kSecret));
    rp.redirect_uri = "https://app.example.com/auth/callback";
    rp.id_token_algs = {"HS256"};
    txn = createLoginTransaction(rp, "/", "b", clock, random);
  }
  boost::json::object claims() const {
    return {{"iss", rp.issuer}, {"sub", "auth0|42"},  {"aud", rp.client_id},
            {"iat", kNow - 5},  {"exp", kNow + 3600}, {"nonce", txn.nonce.reveal()},
            {"sid", "sid-1"}};
  }
  std::string sign(const boost::json::object& c) const {
    return signHs256({{"alg", "HS256"}, {"typ", "JWT"}}, c, kSecret);
  }
  Result<ValidatedIdToken> validate(const boost::json::object& c,
                                    const core::Secret* at = nullptr) {
    return validateIdToken(sign(c), keys, loginIdTokenExpectations(rp, txn), clock, at);
  }
};

TEST(IdToken, AcceptsAValidToken) {
  Fixture f;
  auto v = f.validate(f.claims());
  ASSERT_TRUE(v) << core::errorName(v.error());
  EXPECT_EQ(v->sub, "auth0|42");
  EXPECT_EQ(v->sid, "sid-1");
  EXPECT_EQ(v->exp, kNow + 3600);
}

TEST(IdToken, JoseChecksKeepTheirCodes) {
  Fixture f;
  auto c = f.claims();
  c["nonce"] = "other";
  EXPECT_EQ(f.validate(c).error(), make_error_code(jose::Errc::kNonceMismatch));
  c = f.claims();
  c["iss"] = "https://tenant.auth0.com";
  EXPECT_EQ(f.validate(c).error(), make_error_code(jose::Errc::kIssuerMismatch));
  c = f.claims();
  c["aud"] = "someone-else";
  EXPECT_EQ(f.validate(c).error(), make_error_code(jose::Errc::kAudienceMismatch));
  c = f.claims();
  c["exp"] = kNow - 3600;
  EXPECT_EQ(f.validate(c).error(), make_error_code(jose::Errc::kExpired));
  auto tampered = f.sign(f.claims());
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(validateIdToken(tampered, f.keys, loginIdTokenExpectations(f.rp, f.txn), f.clock));
}

TEST(IdToken, EnforcesAuthTimeWhenMaxAgeWasSent) {
  Fixture f;
  f.rp.max_age = 60;
  f.txn = createLoginTransaction(f.rp, "/", "b", f.clock, f.random);
  auto c = f.claims();
  EXPECT_FALSE(f.validate(c)) << "auth_time missing";
  c["auth_time"] = kNow - 3600;
  EXPECT_FALSE(f.validate(c)) << "auth_time too old";
  c["auth_time"] = kNow - 10;
  EXPECT_TRUE(f.validate(c));
}

// OIDC Core s3.1.3.7 item 10: a token whose exp is still far ahead but whose iat is
// two days old was minted for another login (hoarded or replayed).
TEST(IdToken, RejectsAnIdTokenIssuedTooLongAgoAtTheCallback) {
  Fixture f;
  ASSERT_EQ(f.rp.max_id_token_age, std::chrono::seconds(300)) << "the default";
  auto c = f.claims();
  c["iat"] = kNow - 2 * 86400;
  c["exp"] = kNow + 3600;
  EXPECT_EQ(f.validate(c).error(), make_error_code(Errc::kIdTokenTooOld));
  EXPECT_EQ(core::errorName(make_error_code(Errc::kIdTokenTooOld)), "id_token_too_old");
  c["iat"] = kNow - 301;
  EXPECT_EQ(f.validate(c).error(), make_error_code(Errc::kIdTokenTooOld)) << "one second over";
  c["iat"] = kNow - 300;
  EXPECT_TRUE(f.validate(c)) << "exactly the limit";
  f.rp.max_id_token_age = std::chrono::seconds(30);
  c["iat"] = kNow - 31;
  EXPECT_EQ(f.validate(c).error(), make_error_code(Errc::kIdTokenTooOld)) << "the setting is used";
}

TEST(IdToken, TheAgeRuleBelongsToTheCallbackNotToARefresh) {
  Fixture f;
  EXPECT_FALSE(refreshIdTokenExpectations(f.rp).max_id_token_age);
  EXPECT_EQ(loginIdTokenExpectations(f.rp, f.txn).max_id_token_age, std::chrono::seconds(300));
  auto c = f.claims();
  c["iat"] = kNow - 2 * 86400;
  EXPECT_TRUE(validateIdToken(f.sign(c), f.keys, refreshIdTokenExpectations(f.rp), f.clock));
}

TEST(IdTokenAge, ValuesInValuesOut) {
  const std::chrono::seconds max{300};
  EXPECT_TRUE(checkIdTokenAge({{"iat", kNow}}, kNow, max));
  EXPECT_TRUE(checkIdTokenAge({{"iat", kNow + 30}}, kNow, max)) << "the future is jose's check";
  EXPECT_TRUE(checkIdTokenAge({{"iat", kNow - 300}}, kNow, max));
  EXPECT_TRUE(checkIdTokenAge({{"iat", static_cast<double>(kNow - 300) - 0.5 + 1}}, kNow, max))
      << "a fraction is floored, as jose reads it";
  EXPECT_FALSE(checkIdTokenAge({{"iat", kNow - 301}}, kNow, max));
  EXPECT_FALSE(checkIdTokenAge({{"iat", std::numeric_limits<std::int64_t>::min()}}, kNow, max))
      << "no overflow";
  EXPECT_TRUE(checkIdTokenAge({{"iat", std::numeric_limits<std::int64_t>::max()}}, kNow, max));
  EXPECT_FALSE(checkIdTokenAge({}, kNow, max)) << "missing";
  EXPECT_FALSE(checkIdTokenAge({{"iat", "1700000000"}}, kNow, max)) << "a string";
  EXPECT_FALSE(checkIdTokenAge({{"iat", nullptr}}, kNow, max));
}

TEST(IdToken, RejectsMissingSub) {
  Fixture f;
  auto c = f.claims();
  c.erase("sub");
  EXPECT_FALSE(f.validate(c));
  c["sub"] = "";
  EXPECT_EQ(f.validate(c).error(), make_error_code(Errc::kBadIdTokenClaims));
}

TEST(Organization, IdMustMatchExactly) {
  boost::json::object c{{"org_id", "org_abc"}, {"org_name", "acme"}};
  EXPECT_TRUE(checkOrganization(c, ""));
  EXPECT_TRUE(checkOrganization(c, "org_abc"));
  EXPECT_EQ(checkOrganization(c, "org_ABC").error(), make_error_code(Errc::kOrgMismatch));
  EXPECT_EQ(checkOrganization({{"org_name", "acme"}}, "org_abc").error(),
            make_error_code(Errc::kMissingOrgId));
  EXPECT_TRUE(checkOrganization(c, "ACME"));  // names compare case-insensitively
  EXPECT_EQ(checkOrganization(c, "acme2").error(), make_error_code(Errc::kOrgMismatch));
  EXPECT_EQ(checkOrganization({{"org_id", "org_abc"}}, "acme").error(),
            make_error_code(Errc::kMissingOrgId));
}

TEST(Organization, CheckedInsideValidateIdToken) {
  Fixture f;
  f.rp.organization = "org_abc";
  auto c = f.claims();
  EXPECT_EQ(f.validate(c).error(), make_error_code(Errc::kMissingOrgId));
  c["org_id"] = "org_xyz";
  EXPECT_EQ(f.validate(c).error(), make_error_code(Errc::kOrgMismatch));
  c["org_id"] = "org_abc";
  EXPECT_TRUE(f.validate(c));
}

TEST(AtHash, ComputedPerAlgorithmSize) {
  // Expected values computed independently (left half of SHA-2, base64url).
  constexpr std::string_view at = "jHkWEdUXMU1BwAsC4vtUsZwnNv9IuNjIoTf1MXG5fzw";
  EXPECT_EQ(*computeAtHash("RS256", at), "xfHFgyJ0Yk5aJ5t40lxdLw");
  EXPECT_EQ(*computeAtHash("PS384", at), "a8tkcewzc4E0ZPrF3_KK0MR0i-pAJRXQ");
  EXPECT_EQ(*computeAtHash("ES512", at), "NpOZs5e3WMaAs3N3KylVRmRrtpYKwsnjThDi4kQfni0");
  EXPECT_EQ(computeAtHash("none", at).error(), make_error_code(Errc::kUnsupportedAtHashAlg));
}

TEST(AtHash, MismatchRejected) {
  boost::json::object c{{"at_hash", "xfHFgyJ0Yk5aJ5t40lxdLw"}};
  EXPECT_TRUE(checkAtHash(c, "RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNv9IuNjIoTf1MXG5fzw"));
  EXPECT_EQ(checkAtHash(c, "RS256", "another-access-token").error(),
            make_error_code(Errc::kAtHashMismatch));
  EXPECT_EQ(checkAtHash({{"at_hash", 5}}, "RS256", "x").error(),
            make_error_code(Errc::kAtHashMismatch));
  EXPECT_TRUE(checkAtHash({}, "RS256", "anything"));  // optional for the code flow

  Fixture f;
  auto claims = f.claims();
  core::Secret access("access-token-1");
  claims["at_hash"] = *computeAtHash("HS256", "access-token-1");
  EXPECT_TRUE(f.validate(claims, &access));
  core::Secret other("access-token-2");
  EXPECT_EQ(f.validate(claims, &other).error(), make_error_code(Errc::kAtHashMismatch));
}

TEST(RefreshedIdToken, MustNameTheSameUserIssuerAudienceAndAzp) {
  Fixture f;
  auto original = f.claims();
  auto expect = refreshIdTokenExpectations(f.rp);
  auto fresh = f.claims();
  fresh.erase("nonce");
  EXPECT_TRUE(validateRefreshedIdToken(f.sign(fresh), f.keys, expect, original, f.clock));

  auto otherSub = fresh;
  otherSub["sub"] = "auth0|43";
  EXPECT_EQ(validateRefreshedIdToken(f.sign(otherSub), f.keys, expect, original, f.clock).error(),
            make_error_code(Errc::kSubjectChanged));

  auto moreAud = fresh;
  moreAud["aud"] = boost::json::array{"client-1", "https://api"};
  moreAud["azp"] = "client-1";
  auto r = validateRefreshedIdToken(f.sign(moreAud), f.keys, expect, original, f.clock);
  EXPECT_EQ(r.error(), make_error_code(Errc::kAudienceChanged));

  auto withAzp = fresh;
  withAzp["azp"] = "client-1";
  EXPECT_EQ(validateRefreshedIdToken(f.sign(withAzp), f.keys, expect, original, f.clock).error(),
            make_error_code(Errc::kAuthorizedPartyChanged));

  EXPECT_EQ(checkSameIssuer(original, {{"iss", "https://other/"}}).error(),
            make_error_code(Errc::kIssuerChanged));
  EXPECT_TRUE(checkSameAudience({{"aud", "a"}}, {{"aud", boost::json::array{"a"}}}));
}

}  // namespace
}  // namespace authgate::oidc
