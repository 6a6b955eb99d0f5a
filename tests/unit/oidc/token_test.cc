#include "authgate/oidc/token.h"

#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>

#include "authgate/core/clock.h"
#include "authgate/core/codec.h"
#include "authgate/jose/jws.h"
#include "authgate/jose/sign.h"
#include "authgate/oidc/errc.h"
#include "test_support.h"

namespace authgate::oidc {
namespace {

using testing::FixedRandom;

RelyingPartyOptions rpOptions(ClientAuthMethod m) {
  RelyingPartyOptions rp;
  rp.issuer = "https://tenant.auth0.com/";
  rp.client_id = "client-1";
  rp.client_secret = core::Secret("very-secret-value");
  rp.client_auth_method = m;
  rp.redirect_uri = "https://app.example.com/auth/callback";
  return rp;
}

core::Params bodyOf(const TokenEndpointRequest& r) {
  auto p = core::formDecode(r.body.reveal());
  EXPECT_TRUE(p);
  return p ? *p : core::Params{};
}

std::shared_ptr<const jose::SigningKey> rsaClientKey(jose::Alg alg = jose::Alg::kRS256) {
  auto key = jose::loadSigningKey(testing::privateKeyPem(EVP_RSA_gen(2048)), alg, "key-1");
  EXPECT_TRUE(key);
  return std::make_shared<jose::SigningKey>(std::move(*key));
}

struct Assertion {
  jose::CompactJws jws;
  boost::json::object claims;
  std::string token;  // owns what jws points into
};

// The client_assertion of a request body, parsed; checks the RFC 7523 s2.2 parameters.
std::unique_ptr<Assertion> assertionOf(const TokenEndpointRequest& req) {
  auto body = core::formDecode(req.body.reveal());
  EXPECT_TRUE(body);
  EXPECT_TRUE(req.authorization.empty());
  EXPECT_EQ(core::findParam(*body, "client_assertion_type"),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(core::findParam(*body, "client_id"), "client-1");
  EXPECT_FALSE(core::findParam(*body, "client_secret"));
  auto a = std::make_unique<Assertion>();
  a->token = core::findParam(*body, "client_assertion").value_or("");
  auto jws = jose::parseCompactJws(a->token);
  EXPECT_TRUE(jws);
  if (!jws) return a;
  a->jws = std::move(*jws);
  a->claims = boost::json::parse(a->jws.payload).as_object();
  return a;
}

TEST(PrivateKeyJwt, AssertionClaimsFollowRfc7523AndAuth0) {
  auto rp = rpOptions(ClientAuthMethod::kPrivateKeyJwt);
  rp.client_secret = core::Secret();
  rp.client_key = rsaClientKey();
  AuthorizationCode code;
  code.code = core::Secret("the-code");
  LoginTransaction txn;
  txn.redirect_uri = rp.redirect_uri;
  txn.code_verifier = core::Secret("verifier");
  auto req = buildCodeExchangeRequest("https://tenant.auth0.com/oauth/token", rp, code, txn,
                                      {.now = 1'700'000'000, .jti = "jti-1"});
  ASSERT_TRUE(req);
  auto a = assertionOf(*req);
  EXPECT_EQ(a->jws.algName, "RS256");
  EXPECT_EQ(a->jws.kid, "key-1");
  boost::json::object expected{{"iss", "client-1"},
                               {"sub", "client-1"},
                               {"aud", "https://tenant.auth0.com/"},  // the issuer, its slash
                               {"jti", "jti-1"},
                               {"iat", 1'700'000'000},
                               {"exp", 1'700'000'060}};
  EXPECT_EQ(a->claims, expected);
  auto pub = jose::parseJwk(rp.client_key->publicJwk);
  ASSERT_TRUE(pub);
  EXPECT_FALSE(jose::verifyAsymmetric(a->jws, jose::Alg::kRS256, *pub));
  auto body = core::formDecode(req->body.reveal());
  EXPECT_EQ(core::findParam(*body, "code_verifier"), "verifier");
}

TEST(PrivateKeyJwt, RefreshAndRevocationCarryAFreshAssertion) {
  auto rp = rpOptions(ClientAuthMethod::kPrivateKeyJwt);
  rp.client_key = rsaClientKey(jose::Alg::kPS256);
  core::ManualClock clock(1'800'000'000);
  FixedRandom random;
  auto first = freshClientAuth(clock, random);
  auto second = freshClientAuth(clock, random);
  EXPECT_EQ(first.now, 1'800'000'000);
  EXPECT_EQ(first.jti.size(), 32u);
  EXPECT_NE(first.jti, second.jti);
  auto refresh = buildRefreshRequest("https://t/oauth/token", rp, core::Secret("rt"), first);
  auto revoke = buildRevocationRequest("https://t/oauth/revoke", rp, core::Secret("rt"), second);
  ASSERT_TRUE(refresh);
  ASSERT_TRUE(revoke);
  auto r = assertionOf(*refresh);
  auto v = assertionOf(*revoke);
  EXPECT_EQ(r->jws.algName, "PS256");
  EXPECT_EQ(r->claims.at("jti").as_string(), first.jti);
  EXPECT_EQ(v->claims.at("jti").as_string(), second.jti);
  // One audience for every endpoint: the issuer, not the URL the request goes to.
  EXPECT_EQ(v->claims.at("aud").as_string(), "https://tenant.auth0.com/");
  EXPECT_EQ(r->claims.at("exp").as_int64() - r->claims.at("iat").as_int64(),
            kClientAssertionLifetime);
  EXPECT_LE(kClientAssertionLifetime, 300);  // Auth0's maximum
}

TEST(PrivateKeyJwt, FailsClosedWithoutAKeyOrAJti) {
  auto rp = rpOptions(ClientAuthMethod::kPrivateKeyJwt);
  auto noKey =
      buildRefreshRequest("https://t/oauth/token", rp, core::Secret("rt"), {.now = 1, .jti = "j"});
  EXPECT_EQ(noKey.error(), Errc::kClientAssertionFailed);
  rp.client_key = rsaClientKey();
  auto noJti =
      buildRefreshRequest("https://t/oauth/token", rp, core::Secret("rt"), {.now = 1, .jti = ""});
  EXPECT_EQ(noJti.error(), Errc::kClientAssertionFailed);
  auto basic = rpOptions(ClientAuthMethod::kClientSecretBasic);
  EXPECT_EQ(buildClientAssertion(basic, {.now = 1, .jti = "j"}).error(),
            Errc::kUnsupportedClientAuth);
}

TEST(ClientSecretJwt, Hs256OverTheClientSecret) {
  auto rp = rpOptions(ClientAuthMethod::kClientSecretJwt);
  rp.client_secret = core::Secret(std::string(48, 'k'));
  auto req = buildRefreshRequest("https://t/oauth/token", rp, core::Secret("rt"),
                                 {.now = 1'700'000'000, .jti = "jti-2"});
  ASSERT_TRUE(req);
  auto a = assertionOf(*req);
  EXPECT_EQ(a->jws.algName, "HS256");
  EXPECT_EQ(a->claims.at("aud").as_string(), "https://tenant.auth0.com/");
  EXPECT_EQ(a->claims.at("sub").as_string(), "client-1");
  EXPECT_FALSE(jose::verifyHmac(a->jws, jose::Alg::kHS256, std::string(48, 'k')));
  // RFC 7518 s3.2: a secret shorter than the hash cannot key HS256.
  rp.client_secret = core::Secret("short-secret");
  EXPECT_EQ(
      buildRefreshRequest("https://t/oauth/token", rp, core::Secret("rt"), {.now = 1, .jti = "j"})
          .error(),
      Errc::kClientAssertionFailed);
}

TEST(ClientAuthMethodNames, RoundTrip) {
  for (auto m : {ClientAuthMethod::kClientSecretBasic, ClientAuthMethod::kClientSecretPost,
                 ClientAuthMethod::kClientSecretJwt, ClientAuthMethod::kPrivateKeyJwt,
                 ClientAuthMethod::kTlsClientAuth, ClientAuthMethod::kSelfSignedTlsClientAuth}) {
    EXPECT_EQ(parseClientAuthMethod(clientAuthMethodName(m)), m);
  }
  EXPECT_EQ(clientAuthMethodName(ClientAuthMethod::kTlsClientAuth), "tls_client_auth");
  EXPECT_FALSE(parseClientAuthMethod("none"));
  EXPECT_FALSE(parseClientAuthMethod("TLS_CLIENT_AUTH"));
}

TEST(ClientSecretBasic, FormEncodesIdAndSecretBeforeBase64) {
  // RFC 6749 s2.3.1; expected value computed independently.
  auto h = basicAuthorization("my client:1", core::Secret("p@ss:w/rd+%&\xC3\xA9"));
  EXPECT_EQ(h.reveal(), "Basic bXklMjBjbGllbnQlM0ExOnAlNDBzcyUzQXclMkZyZCUyQiUyNSUyNiVDMyVBOQ==");
}

TEST(CodeExchange, BasicAuthSendsVerifierAndRedirectUri) {
  core::ManualClock clock;
  FixedRandom random;
  auto rp = rpOptions(ClientAuthMethod::kClientSecretBasic);
  auto txn = createLoginTransaction(rp, "/", "b", clock, random);
  AuthorizationCode code;
  code.code = core::Secret("the-code");
  auto req = *buildCodeExchangeRequest("https://tenant.auth0.com/oauth/token", rp, code, txn, {});
  EXPECT_EQ(req.url, "https://tenant.auth0.com/oauth/token");
  EXPECT_EQ(req.content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(req.authorization.reveal(), basicAuthorization("client-1", rp.client_secret).reveal());
  core::Params expected{{"grant_type", "authorization_code"},
                        {"code", "the-code"},
                        {"redirect_uri", "https://app.example.com/auth/callback"},
                        {"code_verifier", txn.code_verifier.reveal()}};
  EXPECT_EQ(bodyOf(req), expected);
}

TEST(CodeExchange, PostAuthPutsCredentialsInTheBody) {
  core::ManualClock clock;
  FixedRandom random;
  auto rp = rpOptions(ClientAuthMethod::kClientSecretPost);
  auto txn = createLoginTransaction(rp, "/", "b", clock, random);
  AuthorizationCode code;
  code.code = core::Secret("c");
  auto req = *buildCodeExchangeRequest("https://t/oauth/token", rp, code, txn, {});
  EXPECT_TRUE(req.authorization.empty());
  auto body = bodyOf(req);
  EXPECT_EQ(core::findParam(body, "client_id"), "client-1");
  EXPECT_EQ(core::findParam(body, "client_secret"), "very-secret-value");
  EXPECT_EQ(core::findParam(body, "code_verifier"), txn.code_verifier.reveal());
}

TEST(RefreshAndRevocation, Bodies) {
  auto rp = rpOptions(ClientAuthMethod::kClientSecretBasic);
  core::Secret rt("refresh-1");
  auto refresh = *buildRefreshRequest("https://t/oauth/token", rp, rt, {});
  EXPECT_EQ(bodyOf(refresh),
            (core::Params{{"grant_type", "refresh_token"}, {"refresh_token", "refresh-1"}}));
  EXPECT_FALSE(refresh.authorization.empty());
  auto revoke = *buildRevocationRequest("https://t/oauth/revoke", rp, rt, {});
  EXPECT_EQ(revoke.url, "https://t/oauth/revoke");
  EXPECT_EQ(bodyOf(revoke),
            (core::Params{{"token", "refresh-1"}, {"token_type_hint", "refresh_token"}}));
  EXPECT_FALSE(revoke.authorization.empty());
  EXPECT_TRUE(checkRevocationResponse(200, ""));
  EXPECT_EQ(checkRevocationResponse(503, "").error(),
            make_error_code(Errc::kTokenEndpointUnavailable));
  EXPECT_EQ(checkRevocationResponse(401, "{}").error(),
            make_error_code(Errc::kTokenEndpointRejected));
}

constexpr std::string_view kGood =
    R"({"access_token":"at","id_token":"a.b.c","refresh_token":"rt","token_type":"Bearer","expires_in":86400,"scope":"openid profile"})";

TEST(TokenResponse, ParsesAGoodResponse) {
  core::ManualClock clock(1'700'000'000);
  auto t = parseTokenResponse(200, kGood, Grant::kAuthorizationCode, clock);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->tokens.accessToken.reveal(), "at");
  EXPECT_EQ(t->tokens.idToken.reveal(), "a.b.c");
  EXPECT_EQ(t->tokens.refreshToken.reveal(), "rt");
  EXPECT_EQ(t->tokenType, "Bearer");
  EXPECT_EQ(t->expiresIn, 86400);
  EXPECT_EQ(t->tokens.accessTokenExpiresAt, 1'700'086'400);
  EXPECT_EQ(t->scope, "openid profile");
  // token_type is case-insensitive (RFC 6749 s5.1); refresh_token optional.
  auto lower = parseTokenResponse(
      200, R"({"access_token":"at","id_token":"x","token_type":"bearer","expires_in":60})",
      Grant::kAuthorizationCode, clock);
  ASSERT_TRUE(lower);
  EXPECT_TRUE(lower->tokens.refreshToken.empty());
  EXPECT_FALSE(lower->scope);
  // A refresh may come without a new ID token (OIDC Core s12.2).
  auto refreshed =
      parseTokenResponse(200, R"({"access_token":"at","token_type":"Bearer","expires_in":60})",
                         Grant::kRefreshToken, clock);
  ASSERT_TRUE(refreshed);
  EXPECT_TRUE(refreshed->tokens.idToken.empty());
  // An empty refresh_token is none: the session keeps the one it has.
  auto emptyRt = parseTokenResponse(
      200, R"({"access_token":"at","refresh_token":"","token_type":"Bearer","expires_in":60})",
      Grant::kRefreshToken, clock);
  ASSERT_TRUE(emptyRt);
  EXPECT_TRUE(emptyRt->tokens.refreshToken.empty());
}

struct BadResponse {
  const char* name;
  int status;
  const char* body;
  Grant grant;
  Errc code;
};

class TokenResponseRejects : public ::testing::TestWithParam<BadResponse> {};

TEST_P(TokenResponseRejects, WithItsOwnCode) {
  core::ManualClock clock;
  const auto& c = GetParam();
  auto r = parseTokenResponse(c.status, c.body, c.grant, clock);
  ASSERT_FALSE(r) << c.name;
  EXPECT_EQ(r.error(), make_error_code(c.code)) << c.name << ": " << r.error().message();
  // Never a token, code or secret in the message.
  EXPECT_EQ(r.error().message().find("tok1"), std::string::npos);
}

constexpr auto kCode = Grant::kAuthorizationCode;
constexpr auto kRefresh = Grant::kRefreshToken;

INSTANTIATE_TEST_SUITE_P(
    Table, TokenResponseRejects,
    ::testing::Values(
        BadResponse{"missing_id_token", 200,
                    R"({"access_token":"tok1","token_type":"Bearer","expires_in":60})", kCode,
                    Errc::kMissingIdToken},
        BadResponse{
            "empty_id_token", 200,
            R"({"access_token":"tok1","id_token":"","token_type":"Bearer","expires_in":60})", kCode,
            Errc::kMissingIdToken},
        BadResponse{"missing_access_token", 200,
                    R"({"id_token":"tok1","token_type":"Bearer","expires_in":60})", kCode,
                    Errc::kMissingAccessToken},
        BadResponse{"token_type_mac", 200,
                    R"({"access_token":"tok1","id_token":"x","token_type":"mac","expires_in":60})",
                    kCode, Errc::kBadTokenType},
        BadResponse{"token_type_missing", 200,
                    R"({"access_token":"tok1","id_token":"x","expires_in":60})", kCode,
                    Errc::kBadTokenType},
        BadResponse{"token_type_dpop", 200,
                    R"({"access_token":"tok1","id_token":"x","token_type":"DPoP","expires_in":60})",
                    kRefresh, Errc::kBadTokenType},
        BadResponse{"expires_in_missing", 200,
                    R"({"access_token":"tok1","id_token":"x","token_type":"Bearer"})", kCode,
                    Errc::kBadExpiresIn},
        BadResponse{
            "expires_in_negative", 200,
            R"({"access_token":"tok1","id_token":"x","token_type":"Bearer","expires_in":-5})",
            kCode, Errc::kBadExpiresIn},
        BadResponse{
            "expires_in_zero", 200,
            R"({"access_token":"tok1","id_token":"x","token_type":"Bearer","expires_in":0})", kCode,
            Errc::kBadExpiresIn},
        BadResponse{
            "expires_in_fraction", 200,
            R"({"access_token":"tok1","id_token":"x","token_type":"Bearer","expires_in":60.5})",
            kCode, Errc::kBadExpiresIn},
        BadResponse{
            "expires_in_string", 200,
            R"({"access_token":"tok1","id_token":"x","token_type":"Bearer","expires_in":"60"})",
            kCode, Errc::kBadExpiresIn},
        BadResponse{
            "expires_in_huge", 200,
            R"({"access_token":"tok1","id_token":"x","token_type":"Bearer","expires_in":9223372036854775807})",
            kCode, Errc::kBadExpiresIn},
        BadResponse{"access_token_number", 200,
                    R"({"access_token":5,"id_token":"x","token_type":"Bearer","expires_in":60})",
                    kCode, Errc::kBadTokenResponse},
        BadResponse{
            "refresh_token_object", 200,
            R"({"access_token":"a","id_token":"x","refresh_token":{},"token_type":"Bearer","expires_in":60})",
            kCode, Errc::kBadTokenResponse},
        BadResponse{"not_json", 200, "<html>oops</html>", kCode, Errc::kBadTokenResponse},
        BadResponse{"json_array", 200, "[]", kCode, Errc::kBadTokenResponse},
        BadResponse{"error_with_200", 200, R"({"error":"invalid_request"})", kCode,
                    Errc::kTokenEndpointRejected},
        BadResponse{"invalid_grant_400", 400,
                    R"({"error":"invalid_grant","error_description":"Invalid authorization code"})",
                    kCode, Errc::kInvalidGrant},
        BadResponse{
            "auth0_refresh_403", 403,
            R"({"error":"invalid_grant","error_description":"Unknown or invalid refresh token."})",
            kRefresh, Errc::kInvalidGrant},
        BadResponse{"invalid_client_401", 401, R"({"error":"invalid_client"})", kCode,
                    Errc::kInvalidClient},
        BadResponse{"rate_limited", 429, R"({"error":"too_many_requests"})", kRefresh,
                    Errc::kTokenEndpointUnavailable},
        BadResponse{"bad_gateway_html", 502, "<html>", kRefresh, Errc::kTokenEndpointUnavailable},
        BadResponse{"forbidden_not_json", 403, "nope", kRefresh, Errc::kTokenEndpointRejected}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(TokenResponse, ErrorDetailsAreCleanData) {
  auto e = parseOAuthError(
      403,
      R"({"error":"invalid_grant","error_description":"Unknown or invalid refresh token.\r\nX: y"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->error, "invalid_grant");
  EXPECT_EQ(e->error_description, "Unknown or invalid refresh token.  X: y");
  EXPECT_EQ(e->http_status, 403);
  EXPECT_FALSE(parseOAuthError(500, "<html>"));
  auto longText = parseOAuthError(
      400, R"({"error":"x","error_description":")" + std::string(5000, 'a') + "\"}");
  ASSERT_TRUE(longText);
  EXPECT_LE(longText->error_description.size(), 256u);
}

TEST(TokenResponse, InvalidClientHasItsOwnCode) {
  const auto& clock = core::SystemClock::instance();
  auto grant = Grant::kAuthorizationCode;
  EXPECT_EQ(parseTokenResponse(401, R"({"error":"invalid_client"})", grant, clock).error(),
            Errc::kInvalidClient);
  EXPECT_EQ(parseTokenResponse(400, R"({"error":"invalid_client"})", grant, clock).error(),
            Errc::kInvalidClient);
  EXPECT_EQ(parseTokenResponse(401, "Unauthorized", grant, clock).error(), Errc::kInvalidClient);
  EXPECT_EQ(parseTokenResponse(200, R"({"error":"invalid_client"})", grant, clock).error(),
            Errc::kInvalidClient);
  EXPECT_EQ(parseTokenResponse(403, R"({"error":"invalid_grant"})", grant, clock).error(),
            Errc::kInvalidGrant);
  EXPECT_EQ(parseTokenResponse(400, R"({"error":"invalid_request"})", grant, clock).error(),
            Errc::kTokenEndpointRejected);
}

TEST(CredentialProbe, SendsTheImpossibleCodeWithTheClientsCredentials) {
  RelyingPartyOptions rp;
  rp.client_id = "cid";
  rp.client_secret = core::Secret("s3cret");
  rp.client_auth_method = ClientAuthMethod::kClientSecretPost;
  auto req = *buildCredentialProbeRequest("https://t/oauth/token", rp, "https://app/auth/callback",
                                          core::Secret("no-such-code"), core::Secret("v"), {});
  EXPECT_EQ(req.url, "https://t/oauth/token");
  const auto body = req.body.reveal();
  EXPECT_NE(body.find("grant_type=authorization_code"), std::string::npos) << body;
  EXPECT_NE(body.find("code=no-such-code"), std::string::npos) << body;
  EXPECT_NE(body.find("client_secret=s3cret"), std::string::npos) << body;
  EXPECT_NE(body.find("redirect_uri=https%3A%2F%2Fapp%2Fauth%2Fcallback"), std::string::npos)
      << body;
}

TEST(CredentialProbe, ClassifiesTheProvidersAnswer) {
  struct Case {
    int status;
    std::string_view body;
    CredentialProbe outcome;
  };
  const Case cases[] = {
      {400, R"({"error":"invalid_grant","error_description":"grant request is invalid"})",
       CredentialProbe::kAccepted},
      {403, R"({"error":"invalid_grant"})", CredentialProbe::kAccepted},
      {401, R"({"error":"invalid_client","error_description":"client authentication failed"})",
       CredentialProbe::kRefused},
      {400, R"({"error":"invalid_client"})", CredentialProbe::kRefused},
      {401, "", CredentialProbe::kRefused},
      {401, R"({"error":"access_denied","error_description":"Unauthorized"})",
       CredentialProbe::kRefused},
      {403, R"({"error":"unauthorized_client"})", CredentialProbe::kGrantNotAllowed},
      {503, "", CredentialProbe::kUnavailable},
      {429, R"({"error":"too_many_requests"})", CredentialProbe::kUnavailable},
      {200, R"({"access_token":"x"})", CredentialProbe::kInconclusive},
      {400, R"({"error":"invalid_request"})", CredentialProbe::kInconclusive},
  };
  for (const auto& c : cases) {
    auto r = classifyCredentialProbe(c.status, c.body);
    EXPECT_EQ(r.outcome, c.outcome) << c.status << " " << c.body;
  }
  auto refused = classifyCredentialProbe(
      401, R"({"error":"invalid_client","error_description":"client authentication failed"})");
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->error_description, "client authentication failed");
}

TEST(TokenEndpointFailure, DescribesTheProvidersCodeAndDescriptionWithoutSecrets) {
  EXPECT_EQ(describeTokenEndpointFailure(
                401, R"({"error":"invalid_client","error_description":"Unauthorized"})", {}),
            "HTTP 401 invalid_client \"Unauthorized\"");
  EXPECT_EQ(describeTokenEndpointFailure(400, R"({"error":"invalid_grant"})", {}),
            "HTTP 400 invalid_grant");
  EXPECT_EQ(describeTokenEndpointFailure(502, "<html>bad gateway</html>", {}),
            "HTTP 502 (no OAuth error body)");
  EXPECT_EQ(
      describeTokenEndpointFailure(
          403, R"({"error":"invalid_grant","error_description":"code abc-123-code for s3cret"})",
          {"abc-123-code", "s3cret"}),
      "HTTP 403 invalid_grant \"code [redacted] for [redacted]\"");
}

}  // namespace
}  // namespace authgate::oidc
