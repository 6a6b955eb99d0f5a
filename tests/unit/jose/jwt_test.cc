// JWT verification: every rejection the issue lists has a case here that fails if its
// check is removed. Tokens are signed by the test (test_signer.h) so each case can
// change exactly one thing about an otherwise valid token.
#include "authgate/jose/jwt.h"

#include <gtest/gtest.h>
#include <algorithm>

#include <boost/json/serialize.hpp>
#include <functional>
#include <string>

#include "authgate/core/base64url.h"
#include "authgate/jose/errc.h"
#include "test_signer.h"

namespace authgate::jose {
namespace {

using testing::b64;
using testing::hmacCompact;
using testing::signCompact;
using testing::TestKey;

constexpr int64_t kNow = 1'700'000'000;
const std::string kIssuer = "https://tenant.eu.auth0.com/";
const std::string kClient = "client-123";
const std::string kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

const TestKey& rsaKey() {
  static const TestKey k = testing::makeRsaKey(2048, "rsa-1");
  return k;
}
const TestKey& ecKey() {
  static const TestKey k = testing::makeEcKey("P-256", "ec-1");
  return k;
}
const TestKey& edKey() {
  static const TestKey k = testing::makeEd25519Key("ed-1");
  return k;
}

KeyStore keyStore() {
  auto s = parseJwks(testing::jwksOf({&rsaKey().jwk, &ecKey().jwk, &edKey().jwk}));
  EXPECT_TRUE(s);
  return *s;
}

boost::json::object baseClaims() {
  return {{"iss", kIssuer},   {"sub", "auth0|u1"}, {"aud", kClient},
          {"iat", kNow - 10}, {"exp", kNow + 600}, {"nonce", "n-0S6_WzA2Mj"}};
}

VerifyPolicy basePolicy() {
  VerifyPolicy p = VerifyPolicy::idToken(kIssuer, kClient);
  p.allowedAlgs = {Alg::kRS256, Alg::kPS256, Alg::kES256, Alg::kEdDSA};
  p.nonce = "n-0S6_WzA2Mj";
  return p;
}

std::string rs256(const boost::json::object& claims, const std::string& kid = "rsa-1") {
  return signCompact(Alg::kRS256, rsaKey().pkey.get(),
                     R"({"alg":"RS256","typ":"JWT","kid":")" + kid + "\"}",
                     boost::json::serialize(claims));
}

class JwtVerify : public ::testing::Test {
 protected:
  Result<VerifiedJwt> verify(const std::string& token, const VerifyPolicy& p) {
    return verifyJwt(token, keys_, p, clock_);
  }
  Result<VerifiedJwt> verify(const std::string& token) { return verify(token, basePolicy()); }
  void expectError(const std::string& token, Errc e, const VerifyPolicy& p) {
    auto r = verify(token, p);
    ASSERT_FALSE(r) << "expected " << make_error_code(e).message();
    EXPECT_EQ(r.error(), make_error_code(e)) << r.error().message();
  }
  void expectError(const std::string& token, Errc e) { expectError(token, e, basePolicy()); }

  KeyStore keys_ = keyStore();
  core::ManualClock clock_{kNow};
};

TEST_F(JwtVerify, AcceptsEachAsymmetricAlgWithItsKey) {
  auto claims = boost::json::serialize(baseClaims());
  struct Case {
    Alg alg;
    const EVP_PKEY* key;
    std::string header;
  } cases[] = {
      {Alg::kRS256, rsaKey().pkey.get(), R"({"alg":"RS256","kid":"rsa-1"})"},
      {Alg::kPS256, rsaKey().pkey.get(), R"({"alg":"PS256","kid":"rsa-1"})"},
      {Alg::kES256, ecKey().pkey.get(), R"({"alg":"ES256","kid":"ec-1"})"},
      {Alg::kEdDSA, edKey().pkey.get(), R"({"alg":"EdDSA","kid":"ed-1"})"},
  };
  for (const auto& c : cases) {
    auto r = verify(signCompact(c.alg, c.key, c.header, claims));
    ASSERT_TRUE(r) << algName(c.alg) << ": " << r.error().message();
    EXPECT_EQ(r->alg, c.alg);
    EXPECT_EQ(r->stringClaim("sub"), "auth0|u1");
  }
}

TEST_F(JwtVerify, AcceptsHs256WithConfiguredSecret) {
  VerifyPolicy p = basePolicy();
  p.allowedAlgs = {Alg::kHS256};
  p.sharedSecret = core::Secret(kSecret);
  auto t =
      hmacCompact(Alg::kHS256, kSecret, R"({"alg":"HS256"})", boost::json::serialize(baseClaims()));
  auto r = verify(t, p);
  ASSERT_TRUE(r) << r.error().message();
  p.sharedSecret = core::Secret(kSecret + "x");
  expectError(t, Errc::kBadSignature, p);
}

TEST_F(JwtVerify, RejectsBadSignature) {
  std::string t = rs256(baseClaims());
  size_t i = t.rfind('.') + 1;
  t[i] = t[i] == 'A' ? 'B' : 'A';
  expectError(t, Errc::kBadSignature);
}

TEST_F(JwtVerify, RejectsPayloadChangedAfterSigning) {
  std::string t = rs256(baseClaims());
  auto other = baseClaims();
  other["sub"] = "auth0|admin";
  size_t d1 = t.find('.'), d2 = t.rfind('.');
  t.replace(d1 + 1, d2 - d1 - 1, b64(boost::json::serialize(other)));
  expectError(t, Errc::kBadSignature);
}

TEST_F(JwtVerify, RejectsTruncatedToken) {
  std::string t = rs256(baseClaims());
  expectError(t.substr(0, t.rfind('.')), Errc::kMalformedToken);  // signature part gone
  // 342 base64url chars carry 256 bytes; dropping 2 leaves a canonical 255-byte value.
  expectError(t.substr(0, t.size() - 2), Errc::kBadSignatureLength);
  expectError(t.substr(0, t.find('.')), Errc::kMalformedToken);
  expectError("", Errc::kMalformedToken);
}

TEST_F(JwtVerify, RejectsAlgNotFittingTheKey) {
  // An ES256 header pointing at the RSA key's kid.
  auto t = signCompact(Alg::kES256, ecKey().pkey.get(), R"({"alg":"ES256","kid":"rsa-1"})",
                       boost::json::serialize(baseClaims()));
  expectError(t, Errc::kKeyAlgMismatch);
  // An RS256 header pointing at the EC key.
  auto t2 = signCompact(Alg::kRS256, rsaKey().pkey.get(), R"({"alg":"RS256","kid":"ec-1"})",
                        boost::json::serialize(baseClaims()));
  expectError(t2, Errc::kKeyAlgMismatch);
}

TEST_F(JwtVerify, RejectsKeyWhoseOwnAlgDiffers) {
  boost::json::object jwk = rsaKey().jwk;
  jwk["alg"] = "RS384";
  keys_ = *parseJwks(testing::jwksOf({&jwk}));
  expectError(rs256(baseClaims()), Errc::kKeyAlgMismatch);
}

TEST_F(JwtVerify, RejectsAlgNoneInAnyCase) {
  auto claims = b64(boost::json::serialize(baseClaims()));
  for (const char* h : {R"({"alg":"none"})", R"({"alg":"None"})", R"({"alg":"NONE"})"}) {
    expectError(b64(h) + "." + claims + ".", Errc::kAlgNone);
    expectError(b64(h) + "." + claims + ".AAAA", Errc::kAlgNone);
  }
  VerifyPolicy p = basePolicy();
  expectError(b64(R"({"alg":"none"})") + "." + claims + ".", Errc::kAlgNone, p);
}

TEST_F(JwtVerify, RejectsAlgOutsideTheAllowList) {
  VerifyPolicy p = basePolicy();
  p.allowedAlgs = {Alg::kRS256};
  auto t = signCompact(Alg::kES256, ecKey().pkey.get(), R"({"alg":"ES256","kid":"ec-1"})",
                       boost::json::serialize(baseClaims()));
  expectError(t, Errc::kAlgNotAllowed, p);
  expectError(b64(R"({"alg":"XS256"})") + ".e30.AAAA", Errc::kUnsupportedAlg, p);
}

// The classic confusion attack: an HS256 token whose HMAC key is the RSA public key
// as the provider publishes it (PEM or DER SubjectPublicKeyInfo).
TEST_F(JwtVerify, RejectsHs256SignedWithRsaPublicKeyBytes) {
  const std::string claims = boost::json::serialize(baseClaims());
  for (const std::string& keyBytes :
       {testing::publicPem(rsaKey().pkey.get()), testing::publicDer(rsaKey().pkey.get())}) {
    auto t = hmacCompact(Alg::kHS256, keyBytes, R"({"alg":"HS256","kid":"rsa-1"})", claims);
    // Default policy: HS256 not allowed at all.
    expectError(t, Errc::kAlgNotAllowed);
    // Allowed but no shared secret configured: never falls back to a JWK.
    VerifyPolicy p = basePolicy();
    p.allowedAlgs = {Alg::kRS256, Alg::kHS256};
    expectError(t, Errc::kNoSharedSecret, p);
    // With a configured secret, only that secret is used.
    p.sharedSecret = core::Secret(kSecret);
    expectError(t, Errc::kBadSignature, p);
  }
}

TEST_F(JwtVerify, RejectsHmacSecretShorterThanTheHash) {
  VerifyPolicy p = basePolicy();
  p.allowedAlgs = {Alg::kHS256};
  p.sharedSecret = core::Secret("short-secret");
  auto t = hmacCompact(Alg::kHS256, "short-secret", R"({"alg":"HS256"})",
                       boost::json::serialize(baseClaims()));
  expectError(t, Errc::kSharedSecretTooShort, p);
}

// RFC 8725 s3.10 / RFC 7515 s4.1.2-4.1.5: keys come from the configured JWKS only. An
// attacker's key embedded as "jwk", or pointed to by "jku"/"x5u", is never used.
TEST_F(JwtVerify, IgnoresKeysOfferedByTheTokenHeader) {
  auto attacker = testing::makeRsaKey(2048, "");
  const std::string claims = boost::json::serialize(baseClaims());
  std::string embedded = R"({"alg":"RS256","jwk":)" + testing::jsonText(attacker.jwk) + "}";
  expectError(signCompact(Alg::kRS256, attacker.pkey.get(), embedded, claims), Errc::kBadSignature);
  for (const char* member : {"jku", "x5u"}) {
    std::string h = std::string(R"({"alg":"RS256","kid":"attacker",")") + member +
                    R"(":"https://attacker.example/keys"})";
    expectError(signCompact(Alg::kRS256, attacker.pkey.get(), h, claims), Errc::kUnknownKid);
  }
}

TEST_F(JwtVerify, RejectsUnknownKid) {
  expectError(rs256(baseClaims(), "rsa-unknown"), Errc::kUnknownKid);
}

TEST_F(JwtVerify, KidlessKeysAreTriedForUnknownOrAbsentKid) {
  boost::json::object jwk = rsaKey().jwk;
  jwk.erase("kid");
  keys_ = *parseJwks(testing::jwksOf({&ecKey().jwk, &jwk}));
  auto noKid = signCompact(Alg::kRS256, rsaKey().pkey.get(), R"({"alg":"RS256"})",
                           boost::json::serialize(baseClaims()));
  EXPECT_TRUE(verify(noKid));
  EXPECT_TRUE(verify(rs256(baseClaims(), "whatever")));
}

TEST_F(JwtVerify, RejectsExpiredTokenAfterLeeway) {
  auto c = baseClaims();
  c["exp"] = kNow - 60;  // leeway is 60 s: now >= exp + leeway
  expectError(rs256(c), Errc::kExpired);
  c["exp"] = kNow - 59;
  EXPECT_TRUE(verify(rs256(c)));
  c.erase("exp");
  expectError(rs256(c), Errc::kMissingExp);
  c["exp"] = "tomorrow";
  expectError(rs256(c), Errc::kBadClaimType);
}

TEST_F(JwtVerify, RejectsNbfInTheFuture) {
  auto c = baseClaims();
  c["nbf"] = kNow + 61;
  expectError(rs256(c), Errc::kNotYetValid);
  c["nbf"] = kNow + 60;
  EXPECT_TRUE(verify(rs256(c)));
}

TEST_F(JwtVerify, RejectsIatFarInTheFuture) {
  auto c = baseClaims();
  c["iat"] = kNow + 3600;
  expectError(rs256(c), Errc::kIatInFuture);
  c["iat"] = kNow + 30;
  EXPECT_TRUE(verify(rs256(c)));
}

TEST_F(JwtVerify, RejectsWrongIssuerIncludingMissingTrailingSlash) {
  auto c = baseClaims();
  c["iss"] = "https://tenant.eu.auth0.com";  // Auth0's issuer ends with '/'
  expectError(rs256(c), Errc::kIssuerMismatch);
  c["iss"] = "https://evil.example/";
  expectError(rs256(c), Errc::kIssuerMismatch);
  c.erase("iss");
  expectError(rs256(c), Errc::kIssuerMismatch);
  VerifyPolicy p = basePolicy();
  p.issuer.clear();  // fail closed when no issuer is configured
  expectError(rs256(baseClaims()), Errc::kIssuerMismatch, p);
}

TEST_F(JwtVerify, RejectsWrongAudience) {
  auto c = baseClaims();
  c["aud"] = "someone-else";
  expectError(rs256(c), Errc::kAudienceMismatch);
  c["aud"] = boost::json::array{"a", "b"};
  expectError(rs256(c), Errc::kAudienceMismatch);
  c["aud"] = boost::json::array{};
  expectError(rs256(c), Errc::kAudienceMismatch);
  c["aud"] = boost::json::array{kClient, 7};
  expectError(rs256(c), Errc::kBadClaimType);
}

TEST_F(JwtVerify, EmptyConfiguredAudienceNeverMatches) {
  auto c = baseClaims();
  c["aud"] = "";
  VerifyPolicy p = basePolicy();
  p.audiences = {""};
  expectError(rs256(c), Errc::kAudienceMismatch, p);
  p.audiences.clear();
  expectError(rs256(baseClaims()), Errc::kAudienceMismatch, p);
}

TEST_F(JwtVerify, AcceptsAudienceArrayWithAzp) {
  auto c = baseClaims();
  c["aud"] = boost::json::array{"https://api.example", kClient};
  c["azp"] = kClient;
  auto r = verify(rs256(c));
  EXPECT_TRUE(r) << r.error().message();
}

TEST_F(JwtVerify, RejectsMissingAzpWithSeveralAudiences) {
  auto c = baseClaims();
  c["aud"] = boost::json::array{"https://api.example", kClient};
  expectError(rs256(c), Errc::kAzpMissing);
}

TEST_F(JwtVerify, RejectsAzpOfAnotherClient) {
  auto c = baseClaims();
  c["azp"] = "client-999";
  expectError(rs256(c), Errc::kAzpMismatch);
}

TEST_F(JwtVerify, RejectsWrongOrMissingNonce) {
  auto c = baseClaims();
  c["nonce"] = "n-0S6_WzA2Mk";
  expectError(rs256(c), Errc::kNonceMismatch);
  c["nonce"] = 5;
  expectError(rs256(c), Errc::kNonceMismatch);
  c.erase("nonce");
  expectError(rs256(c), Errc::kMissingNonce);
}

TEST_F(JwtVerify, RejectsCritUnlessUnderstood) {
  const std::string claims = boost::json::serialize(baseClaims());
  auto t = signCompact(Alg::kRS256, rsaKey().pkey.get(),
                       R"({"alg":"RS256","kid":"rsa-1","crit":["exp"],"exp":1})", claims);
  expectError(t, Errc::kCritUnsupported);
  auto bad = signCompact(Alg::kRS256, rsaKey().pkey.get(),
                         R"({"alg":"RS256","kid":"rsa-1","crit":[]})", claims);
  expectError(bad, Errc::kCritUnsupported);
  VerifyPolicy p = basePolicy();
  p.understoodCrit = {"exp"};
  EXPECT_TRUE(verify(t, p));
}

TEST_F(JwtVerify, RejectsOversizedToken) {
  auto c = baseClaims();
  c["pad"] = std::string(13 * 1024, 'x');
  expectError(rs256(c), Errc::kTokenTooLarge);
  c["pad"] = std::string(10 * 1024, 'x');
  EXPECT_TRUE(verify(rs256(c)));
  VerifyPolicy p = basePolicy();
  p.limits.maxPayloadBytes = 4 * 1024;
  expectError(rs256(c), Errc::kClaimsTooLarge, p);
  auto t = signCompact(Alg::kRS256, rsaKey().pkey.get(),
                       R"({"alg":"RS256","kid":"rsa-1","x":")" + std::string(2100, 'y') + "\"}",
                       boost::json::serialize(baseClaims()));
  expectError(t, Errc::kHeaderTooLarge);
}

TEST_F(JwtVerify, RejectsInvalidBase64url) {
  std::string t = rs256(baseClaims());
  size_t d1 = t.find('.');
  std::string padded = t;
  padded.insert(d1, "=");
  expectError(padded, Errc::kBadBase64url);
  std::string spaced = t;
  spaced.insert(d1 + 5, " ");
  expectError(spaced, Errc::kBadBase64url);
  std::string newline = t;
  newline.insert(t.rfind('.') + 3, "\n");
  expectError(newline, Errc::kBadBase64url);
  std::string plus = t;
  plus[d1 + 2] = '+';
  expectError(plus, Errc::kBadBase64url);
  std::string sigPad = t + "==";
  expectError(sigPad, Errc::kBadBase64url);
}

TEST_F(JwtVerify, RejectsDuplicateMembersInHeaderAndClaims) {
  auto t =
      signCompact(Alg::kRS256, rsaKey().pkey.get(), R"({"alg":"RS256","kid":"rsa-1","alg":"none"})",
                  boost::json::serialize(baseClaims()));
  expectError(t, Errc::kDuplicateJsonMember);
  std::string claims = boost::json::serialize(baseClaims());
  claims.insert(1, R"("sub":"auth0|admin",)");  // a second "sub"
  auto t2 =
      signCompact(Alg::kRS256, rsaKey().pkey.get(), R"({"alg":"RS256","kid":"rsa-1"})", claims);
  expectError(t2, Errc::kDuplicateJsonMember);
}

TEST_F(JwtVerify, RejectsEcSignatureOfWrongLength) {
  auto t = signCompact(Alg::kES256, ecKey().pkey.get(), R"({"alg":"ES256","kid":"ec-1"})",
                       boost::json::serialize(baseClaims()));
  auto sig = *core::base64urlDecode(t.substr(t.rfind('.') + 1));
  ASSERT_EQ(sig.size(), 64u);
  std::string head = t.substr(0, t.rfind('.') + 1);
  expectError(head + b64(sig + std::string(1, '\0')), Errc::kBadSignatureLength);
  expectError(head + b64(sig.substr(0, 63)), Errc::kBadSignatureLength);
  // A DER-encoded signature (what OpenSSL emits natively) is not a JWS signature.
  std::string der = "\x30\x44\x02\x20" + sig.substr(0, 32) + "\x02\x20" + sig.substr(32);
  expectError(head + b64(der), Errc::kBadSignatureLength);
}

TEST_F(JwtVerify, RejectsJweAndOtherShapes) {
  expectError("a.b.c.d.e", Errc::kMalformedToken);
  expectError("....", Errc::kMalformedToken);
  expectError(".e30.", Errc::kMalformedToken);
  expectError(b64("[1]") + ".e30.", Errc::kNotJsonObject);
  expectError(b64(R"({"typ":"JWT"})") + ".e30.", Errc::kMissingAlg);
  expectError(b64(R"({"alg":"RS256","kid":7})") + ".e30.", Errc::kMalformedToken);
}

TEST_F(JwtVerify, ChecksTypForAccessTokens) {
  VerifyPolicy p = VerifyPolicy::accessToken(kIssuer, "https://api.example");
  auto c = baseClaims();
  c["aud"] = "https://api.example";
  c["client_id"] = kClient;
  c["jti"] = "j1";
  const std::string claims = boost::json::serialize(c);
  auto sign = [&](const std::string& typ) {
    std::string h = typ.empty() ? R"({"alg":"RS256","kid":"rsa-1"})"
                                : R"({"alg":"RS256","kid":"rsa-1","typ":")" + typ + "\"}";
    return signCompact(Alg::kRS256, rsaKey().pkey.get(), h, claims);
  };
  EXPECT_TRUE(verify(sign("at+jwt"), p));
  EXPECT_TRUE(verify(sign("application/at+JWT"), p));
  expectError(sign("JWT"), Errc::kTypMismatch, p);
  expectError(sign(""), Errc::kTypMismatch, p);
}

TEST_F(JwtVerify, LogoutTokenAcceptsJwtOrLogoutJwtTyp) {
  VerifyPolicy p = VerifyPolicy::logoutToken(kIssuer, kClient);
  auto c = baseClaims();
  c.erase("nonce");
  c["jti"] = "j1";
  c["events"] = boost::json::object{
      {"http://schemas.openid.net/event/backchannel-logout", boost::json::object{}}};
  const std::string claims = boost::json::serialize(c);
  for (const char* typ : {"JWT", "logout+jwt"}) {
    auto t =
        signCompact(Alg::kRS256, rsaKey().pkey.get(),
                    std::string(R"({"alg":"RS256","kid":"rsa-1","typ":")") + typ + "\"}", claims);
    EXPECT_TRUE(verify(t, p)) << typ;
  }
  auto at = signCompact(Alg::kRS256, rsaKey().pkey.get(),
                        R"({"alg":"RS256","kid":"rsa-1","typ":"at+jwt"})", claims);
  expectError(at, Errc::kTypMismatch, p);
  c.erase("events");
  expectError(rs256(c), Errc::kMissingClaim, p);
}

TEST_F(JwtVerify, ChecksAuthTimeAgainstMaxAge) {
  VerifyPolicy p = basePolicy();
  p.maxAge = std::chrono::seconds(300);
  auto c = baseClaims();
  expectError(rs256(c), Errc::kMissingAuthTime, p);
  c["auth_time"] = kNow - 361;  // 300 s max_age + 60 s leeway
  expectError(rs256(c), Errc::kAuthTooOld, p);
  c["auth_time"] = kNow - 200;
  EXPECT_TRUE(verify(rs256(c), p));
}

TEST_F(JwtVerify, RequiresConfiguredClaims) {
  auto c = baseClaims();
  c.erase("sub");
  expectError(rs256(c), Errc::kMissingClaim);
}

TEST_F(JwtVerify, ReportListsEveryCheckWithItsOutcome) {
  auto c = baseClaims();
  c["exp"] = kNow - 3600;
  c["aud"] = "other";
  auto report = verifyJwtReport(rs256(c), keys_, basePolicy(), clock_);
  EXPECT_FALSE(report.valid());
  EXPECT_TRUE(report.signatureVerified);
  ASSERT_TRUE(report.claims);
  EXPECT_EQ(report.firstError, Errc::kAudienceMismatch);
  std::map<std::string, CheckStatus> got;
  for (const auto& o : report.checks) got[o.name] = o.status;
  EXPECT_EQ(got["signature"], CheckStatus::kPassed);
  EXPECT_EQ(got["iss"], CheckStatus::kPassed);
  EXPECT_EQ(got["aud"], CheckStatus::kFailed);
  EXPECT_EQ(got["exp"], CheckStatus::kFailed);
  EXPECT_EQ(got["nonce"], CheckStatus::kPassed);
  EXPECT_EQ(got["auth_time"], CheckStatus::kSkipped);
  EXPECT_EQ(got.size(), report.checks.size());
}

TEST_F(JwtVerify, ReportOnBadSignatureStillShowsUnverifiedClaims) {
  std::string t = rs256(baseClaims());
  size_t i = t.rfind('.') + 1;
  t[i] = t[i] == 'A' ? 'B' : 'A';
  auto report = verifyJwtReport(t, keys_, basePolicy(), clock_);
  EXPECT_FALSE(report.valid());
  EXPECT_FALSE(report.signatureVerified);
  EXPECT_EQ(report.firstError, Errc::kBadSignature);
  ASSERT_TRUE(report.claims);
  EXPECT_EQ(report.claims->at("sub").as_string(), "auth0|u1");
}

TEST_F(JwtVerify, TrustedKeySetNeedsAnIssuerButNoAudience) {
  VerifyPolicy p = basePolicy();
  auto c = baseClaims();
  c.erase("aud");
  c["iss"] = "open-metadata.org";
  expectError(rs256(c), Errc::kIssuerMismatch, p);  // the default compares both
  p.trustKeySetIssuer = true;
  EXPECT_TRUE(verify(rs256(c), p));
  c.erase("iss");
  expectError(rs256(c), Errc::kIssuerMismatch, p);
}

TEST_F(JwtVerify, SignatureIsJudgedBeforeTheType) {
  // A forged token reads as bad_signature, whatever typ its unsigned header claims.
  VerifyPolicy p = VerifyPolicy::accessToken(kIssuer, "https://api.example");
  std::string t = rs256(baseClaims());  // typ JWT: wrong for an access token
  size_t i = t.rfind('.') + 1;
  t[i] = t[i] == 'A' ? 'B' : 'A';
  expectError(t, Errc::kBadSignature, p);
  auto report = verifyJwtReport(t, keys_, p, clock_);
  EXPECT_EQ(report.firstError, Errc::kBadSignature);
  std::vector<std::string> order;
  for (const auto& c : report.checks) order.push_back(c.name);
  const auto sig = std::find(order.begin(), order.end(), "signature");
  const auto typ = std::find(order.begin(), order.end(), "typ");
  EXPECT_LT(sig, typ);
}

TEST_F(JwtVerify, ReportOnGarbageSkipsEverythingAfterStructure) {
  auto report = verifyJwtReport("not-a-token", keys_, basePolicy(), clock_);
  EXPECT_EQ(report.firstError, Errc::kMalformedToken);
  ASSERT_FALSE(report.checks.empty());
  EXPECT_EQ(report.checks[0].status, CheckStatus::kFailed);
  for (size_t i = 1; i < report.checks.size(); ++i) {
    EXPECT_EQ(report.checks[i].status, CheckStatus::kSkipped) << report.checks[i].name;
  }
}

TEST(JoseErrors, EveryCodeHasAStableName) {
  EXPECT_EQ(core::errorName(make_error_code(Errc::kAlgNone)), "alg_none");
  EXPECT_EQ(core::errorName(make_error_code(Errc::kDuplicateJsonMember)), "duplicate_json_member");
  for (int i = 1; i <= static_cast<int>(Errc::kJwksUnavailable); ++i) {
    auto name = core::errorName(make_error_code(static_cast<Errc>(i)));
    EXPECT_NE(name, "unknown") << i;
    EXPECT_EQ(name.find(':'), std::string::npos) << i;
  }
}

}  // namespace
}  // namespace authgate::jose
