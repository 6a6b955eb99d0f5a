// DPoP (RFC 9449): proofs, the nonce header, the nonce challenge, and token_type rules.
#include "authgate/oidc/dpop.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "authgate/core/base64url.h"
#include "authgate/core/clock.h"
#include "authgate/jose/errc.h"
#include "authgate/jose/jwk.h"
#include "authgate/jose/jws.h"
#include "authgate/oidc/token.h"

namespace authgate::oidc {
namespace {

namespace bj = boost::json;

const jose::SigningKey& key() {
  static const jose::SigningKey k = [] {
    auto g = jose::generateSigningKey(jose::Alg::kES256);
    EXPECT_TRUE(g.has_value());
    return std::move(*g);
  }();
  return k;
}

DpopProofRequest proofFor(std::string_view method, std::string_view url, std::int64_t iat,
                          std::string jti, std::string nonce = {},
                          const core::Secret* token = nullptr) {
  DpopProofRequest r;
  r.method = method;
  r.url = url;
  r.iat = iat;
  r.jti = std::move(jti);
  r.nonce = std::move(nonce);
  r.access_token = token;
  return r;
}

struct Decoded {
  bj::object header;
  bj::object claims;
};
Decoded decode(const std::string& jwt) {
  auto jws = jose::parseCompactJws(jwt);
  EXPECT_TRUE(jws.has_value());
  Decoded d;
  d.header = jws->header;
  d.claims = bj::parse(*jose::decodePayload(*jws)).as_object();
  return d;
}

TEST(DpopProof, HeaderCarriesThePublicKeyOnlyAndTheSignatureVerifiesWithIt) {
  auto proof = buildDpopProof(
      key(), proofFor("POST", "https://idp.example/oauth/token", 1'700'000'000, "jti-1"));
  ASSERT_TRUE(proof.has_value());
  auto d = decode(proof->reveal());
  EXPECT_EQ(d.header.at("typ").as_string(), "dpop+jwt");
  EXPECT_EQ(d.header.at("alg").as_string(), "ES256");
  EXPECT_FALSE(d.header.contains("kid"));
  const auto& jwk = d.header.at("jwk").as_object();
  EXPECT_EQ(jwk.size(), 4u);  // kty, crv, x, y: no d, kid, alg or use
  EXPECT_FALSE(jwk.contains("d"));
  EXPECT_EQ(jwk.at("kty").as_string(), "EC");
  // The embedded key verifies the proof (what the provider does, RFC 9449 s4.3 item 7).
  auto parsedKey = jose::parseJwk(jwk);
  ASSERT_TRUE(parsedKey.has_value());
  auto jws = jose::parseCompactJws(proof->reveal());
  EXPECT_FALSE(jose::verifyAsymmetric(*jws, jose::Alg::kES256, *parsedKey));
  EXPECT_EQ(jose::jwkThumbprint(jwk), dpopJkt(key()));
}

TEST(DpopProof, ClaimsAreHtmHtuWithoutQueryIatJtiAndNoNonceOrAthUnlessGiven) {
  auto proof = buildDpopProof(
      key(), proofFor("POST", "https://idp.example/oauth/token?x=1#frag", 1'700'000'000, "jti-2"));
  ASSERT_TRUE(proof.has_value());
  auto c = decode(proof->reveal()).claims;
  EXPECT_EQ(c.at("htm").as_string(), "POST");
  EXPECT_EQ(c.at("htu").as_string(), "https://idp.example/oauth/token");
  EXPECT_EQ(c.at("iat").as_int64(), 1'700'000'000);
  EXPECT_EQ(c.at("jti").as_string(), "jti-2");
  EXPECT_FALSE(c.contains("nonce"));
  EXPECT_FALSE(c.contains("ath"));
}

TEST(DpopProof, NonceAndAthWhenGiven) {
  core::Secret token("access-token-value");
  auto proof =
      buildDpopProof(key(), proofFor("GET", "https://idp.example/userinfo", 5, "j", "n-1", &token));
  ASSERT_TRUE(proof.has_value());
  auto c = decode(proof->reveal()).claims;
  EXPECT_EQ(c.at("nonce").as_string(), "n-1");
  // RFC 9449 s4.2: base64url(SHA-256(ASCII(access token))), no padding.
  EXPECT_EQ(c.at("ath").as_string(), dpopAccessTokenHash(token));
  EXPECT_EQ(dpopAccessTokenHash(core::Secret("abc")),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

TEST(DpopProof, TwoProofsDifferAndBadInputsAreRefused) {
  auto a = buildDpopProof(key(), proofFor("POST", "https://a.example/t", 1, "1"));
  auto b = buildDpopProof(key(), proofFor("POST", "https://a.example/t", 1, "2"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->reveal(), b->reveal());
  EXPECT_EQ(buildDpopProof(key(), proofFor("POST", "ftp://a.example/t", 1, "1")).error(),
            Errc::kDpopProofFailed);
  EXPECT_EQ(buildDpopProof(key(), proofFor("POST", "/relative", 1, "1")).error(),
            Errc::kDpopProofFailed);
  EXPECT_EQ(buildDpopProof(key(), proofFor("", "https://a.example/t", 1, "1")).error(),
            Errc::kDpopProofFailed);
  EXPECT_EQ(buildDpopProof(key(), proofFor("POST", "https://a.example/t", 1, "")).error(),
            Errc::kDpopProofFailed);
}

TEST(DpopHtu, DropsQueryAndFragmentOnly) {
  EXPECT_EQ(dpopHtu("https://a.example:8443/p/q?x#y"), "https://a.example:8443/p/q");
  EXPECT_EQ(dpopHtu("http://127.0.0.1:4000/oauth/token"), "http://127.0.0.1:4000/oauth/token");
  EXPECT_EQ(dpopHtu("https://a.example#f"), "https://a.example");
  EXPECT_FALSE(dpopHtu("mailto:x@example.com"));
  EXPECT_FALSE(dpopHtu("https:///nohost"));
  EXPECT_FALSE(dpopHtu(""));
}

TEST(DpopNonce, StrictNqchar) {
  EXPECT_EQ(parseDpopNonce("eyJ7S_zG.eyJH0-Z.HX4w-7v"), "eyJ7S_zG.eyJH0-Z.HX4w-7v");
  EXPECT_EQ(parseDpopNonce("!#[]~"), "!#[]~");
  EXPECT_FALSE(parseDpopNonce(""));
  EXPECT_FALSE(parseDpopNonce(" abc"));  // no trimming
  EXPECT_FALSE(parseDpopNonce("a b"));   // SP
  EXPECT_FALSE(parseDpopNonce("a\"b"));  // DQUOTE (%x22)
  EXPECT_FALSE(parseDpopNonce("a\\b"));  // backslash (%x5C)
  EXPECT_FALSE(parseDpopNonce("a\tb"));
  EXPECT_FALSE(parseDpopNonce("a\r\nb"));
  EXPECT_FALSE(parseDpopNonce("caf\xc3\xa9"));
  EXPECT_FALSE(parseDpopNonce(std::string(kMaxDpopNonceBytes + 1, 'a')));
  EXPECT_TRUE(parseDpopNonce(std::string(kMaxDpopNonceBytes, 'a')));
}

TEST(DpopNonce, UseDpopNonceFromTheTokenEndpointBody) {
  EXPECT_TRUE(isUseDpopNonceError(400, R"({"error":"use_dpop_nonce","error_description":"x"})",
                                  std::nullopt));
  EXPECT_FALSE(isUseDpopNonceError(400, R"({"error":"invalid_dpop_proof"})", std::nullopt));
  EXPECT_FALSE(isUseDpopNonceError(400, "use_dpop_nonce", std::nullopt));
  EXPECT_FALSE(isUseDpopNonceError(200, R"({"error":"use_dpop_nonce"})", std::nullopt));
  EXPECT_FALSE(isUseDpopNonceError(400, R"({"error":["use_dpop_nonce"]})", std::nullopt));
}

TEST(DpopNonce, UseDpopNonceFromAResourceServerChallenge) {
  EXPECT_TRUE(isUseDpopNonceError(
      401, "",
      R"(DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof")"));
  EXPECT_TRUE(isUseDpopNonceError(401, "", R"(dpop algs="ES256 PS256", ERROR=use_dpop_nonce)"));
  EXPECT_TRUE(isUseDpopNonceError(
      401, "", R"(Bearer realm="x", DPoP algs="ES256", error="use_dpop_nonce")"));
  EXPECT_TRUE(isUseDpopNonceError(
      401, "", R"(Basic YWxhZGRpbjpvcGVuc2VzYW1l==, DPoP error="use_dpop_nonce")"));
  // The parameter belongs to another scheme, or the header is malformed.
  EXPECT_FALSE(isUseDpopNonceError(401, "", R"(Bearer error="use_dpop_nonce")"));
  EXPECT_FALSE(isUseDpopNonceError(401, "", R"(DPoP error="use_dpop_nonce)"));
  // RFC 9110 s5.6.1: a recipient accepts empty list elements, a trailing one included.
  EXPECT_TRUE(isUseDpopNonceError(401, "", R"(DPoP error="use_dpop_nonce",)"));
  EXPECT_FALSE(isUseDpopNonceError(401, "", R"(DPoP error=="use_dpop_nonce")"));
  EXPECT_FALSE(isUseDpopNonceError(401, "", R"(DPoP error="invalid_token")"));
  EXPECT_FALSE(isUseDpopNonceError(401, "", std::nullopt));
  EXPECT_FALSE(isUseDpopNonceError(403, "", R"(DPoP error="use_dpop_nonce")"));
}

TEST(DpopChallenge, QuotedStringEscapesAndEmptyElements) {
  EXPECT_EQ(challengeParam(R"(DPoP , error_description="a \"b\" c", error=x)", "dpop",
                           "error_description"),
            "a \"b\" c");
  EXPECT_EQ(challengeParam(R"(DPoP error=x)", "DPoP", "realm"), std::nullopt);
  EXPECT_EQ(challengeParam("DPoP error=\"a\x01\"", "DPoP", "error"), std::nullopt);
  EXPECT_EQ(challengeParam("DPoPerror=x", "DPoP", "error"), std::nullopt);
}

TEST(DpopTokenType, DpopRequiredRefusesBearerAndAcceptsDpop) {
  core::ManualClock clock(1000);
  const std::string dpop =
      R"({"access_token":"a","id_token":"i","token_type":"DPoP","expires_in":60})";
  const std::string bearer =
      R"({"access_token":"a","id_token":"i","token_type":"Bearer","expires_in":60})";
  auto t = parseTokenResponse(200, dpop, Grant::kAuthorizationCode, clock, TokenBinding::kDpop);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->tokenType, "DPoP");
  EXPECT_TRUE(parseTokenResponse(200, R"({"access_token":"a","token_type":"dpop","expires_in":60})",
                                 Grant::kRefreshToken, clock, TokenBinding::kDpop));
  EXPECT_EQ(parseTokenResponse(200, bearer, Grant::kAuthorizationCode, clock, TokenBinding::kDpop)
                .error(),
            Errc::kDpopNotBound);
  EXPECT_EQ(parseTokenResponse(
                200, R"({"access_token":"a","id_token":"i","token_type":"mac","expires_in":60})",
                Grant::kAuthorizationCode, clock, TokenBinding::kDpop)
                .error(),
            Errc::kBadTokenType);
  // Without DPoP a DPoP token is refused (authgate could not use it).
  EXPECT_EQ(parseTokenResponse(200, dpop, Grant::kAuthorizationCode, clock).error(),
            Errc::kBadTokenType);
}

TEST(GeneratedKey, IsAFreshP256KeyEachTime) {
  auto a = jose::generateSigningKey(jose::Alg::kES256);
  auto b = jose::generateSigningKey(jose::Alg::kES256);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->publicJwk.at("crv").as_string(), "P-256");
  EXPECT_NE(dpopJkt(*a), dpopJkt(*b));
  EXPECT_EQ(jose::generateSigningKey(jose::Alg::kHS256).error(), jose::Errc::kUnsupportedAlg);
}

}  // namespace
}  // namespace authgate::oidc
