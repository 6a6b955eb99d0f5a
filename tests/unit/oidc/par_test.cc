// Pushed Authorization Requests (RFC 9126) and request objects (RFC 9101): the pushed
// form, the request object's claims and signature, the browser's URL, and the strict
// parsing of the PAR endpoint's answer.
#include "authgate/oidc/par.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <boost/json/parse.hpp>

#include "authgate/core/clock.h"
#include "authgate/jose/jwk.h"
#include "authgate/jose/jws.h"
#include "authgate/jose/sign.h"
#include "test_support.h"

namespace authgate::oidc {
namespace {

using testing::FixedRandom;

constexpr std::string_view kPar = "https://tenant.auth0.com/oauth/par";
constexpr std::string_view kAuthorize = "https://tenant.auth0.com/authorize";

// A P-256 key for ES256 request objects.
std::shared_ptr<const jose::SigningKey> ecRequestObjectKey() {
  auto key =
      jose::loadSigningKey(testing::privateKeyPem(EVP_EC_gen("P-256")), jose::Alg::kES256, "jar-1");
  EXPECT_TRUE(key);
  return std::make_shared<jose::SigningKey>(std::move(*key));
}

struct Fixture {
  RelyingPartyOptions rp;
  core::ManualClock clock{1'700'000'000};
  FixedRandom random;
  LoginTransaction txn;

  Fixture() {
    rp.issuer = "https://tenant.auth0.com/";
    rp.client_id = "client-1";
    rp.client_secret = core::Secret("very-secret-value");
    rp.redirect_uri = "https://app.example.com/auth/callback";
    rp.max_age = 600;
    rp.extra_authorize_params = {{"tenant_hint", "blue"}, {"invitation", "inv-1"}};
    txn = createLoginTransaction(rp, "/", "binding-cookie", clock, random);
  }
};

core::Params formOf(const TokenEndpointRequest& r) {
  auto p = core::formDecode(r.body.reveal());
  EXPECT_TRUE(p);
  return p ? *p : core::Params{};
}

size_t countOf(const core::Params& p, std::string_view name) {
  return static_cast<size_t>(
      std::count_if(p.begin(), p.end(), [&](const auto& kv) { return kv.first == name; }));
}

struct Decoded {
  std::string token;
  jose::CompactJws jws;
  boost::json::object claims;
};

std::unique_ptr<Decoded> decode(std::string token) {
  auto d = std::make_unique<Decoded>();
  d->token = std::move(token);
  auto jws = jose::parseCompactJws(d->token);
  EXPECT_TRUE(jws);
  if (!jws) return d;
  d->jws = std::move(*jws);
  d->claims = boost::json::parse(d->jws.payload).as_object();
  return d;
}

ProviderMetadata metadata(std::string parEndpoint, bool required = false) {
  ProviderMetadata m;
  m.issuer = "https://tenant.auth0.com/";
  m.authorization_endpoint = std::string(kAuthorize);
  m.pushed_authorization_request_endpoint = std::move(parEndpoint);
  m.require_pushed_authorization_requests = required;
  return m;
}

TEST(ParMode, AutoUsesAnAdvertisedEndpointAlwaysNeedsOneNeverIgnoresIt) {
  const auto with = metadata(std::string(kPar));
  const auto without = metadata("");
  EXPECT_TRUE(*usePushedAuthorization(ParMode::kAuto, with));
  EXPECT_FALSE(*usePushedAuthorization(ParMode::kAuto, without));
  EXPECT_TRUE(*usePushedAuthorization(ParMode::kAuto, metadata(std::string(kPar), true)));
  EXPECT_TRUE(*usePushedAuthorization(ParMode::kAlways, with));
  EXPECT_EQ(usePushedAuthorization(ParMode::kAlways, without).error(), Errc::kParNotAdvertised);
  EXPECT_FALSE(*usePushedAuthorization(ParMode::kNever, with));
  for (auto m : {ParMode::kAuto, ParMode::kAlways, ParMode::kNever}) {
    EXPECT_EQ(parseParMode(parModeName(m)), m);
  }
  EXPECT_FALSE(parseParMode("sometimes"));
  EXPECT_FALSE(parseParMode("Always"));
}

TEST(ParDiscovery, ReadsTheEndpointAndTheRequirementFlags) {
  auto m = parseProviderMetadata(
      R"({"issuer":"https://tenant.auth0.com/","authorization_endpoint":"https://tenant.auth0.com/authorize",
          "token_endpoint":"https://tenant.auth0.com/oauth/token","jwks_uri":"https://tenant.auth0.com/jwks",
          "pushed_authorization_request_endpoint":"https://tenant.auth0.com/oauth/par",
          "require_pushed_authorization_requests":true,"require_signed_request_object":true,
          "request_object_signing_alg_values_supported":["RS256","PS256"]})",
      "https://tenant.auth0.com/");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->pushed_authorization_request_endpoint, kPar);
  EXPECT_TRUE(m->require_pushed_authorization_requests);
  EXPECT_TRUE(m->require_signed_request_object);
  EXPECT_EQ(m->request_object_signing_alg_values_supported.size(), 2u);
  // The PAR endpoint is an endpoint like the others: TLS unless loopback.
  auto insecure = parseProviderMetadata(
      R"({"issuer":"https://tenant.auth0.com/","authorization_endpoint":"https://tenant.auth0.com/authorize",
          "token_endpoint":"https://tenant.auth0.com/oauth/token","jwks_uri":"https://tenant.auth0.com/jwks",
          "pushed_authorization_request_endpoint":"http://tenant.auth0.com/oauth/par"})",
      "https://tenant.auth0.com/");
  EXPECT_EQ(insecure.error(), Errc::kInsecureEndpoint);
}

TEST(ParDiscovery, WarnsWhenTheProviderRequiresWhatTheSettingsTurnOff) {
  Fixture f;
  auto m = metadata(std::string(kPar), true);
  m.require_signed_request_object = true;
  f.rp.pushed_authorization_requests = ParMode::kNever;
  auto w = discoveryWarnings(m, f.rp);
  auto has = [&](std::string_view text) {
    return std::any_of(w.begin(), w.end(),
                       [&](const auto& s) { return s.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has("require_pushed_authorization_requests"));
  EXPECT_TRUE(has("require_signed_request_object"));
  f.rp.pushed_authorization_requests = ParMode::kAuto;
  f.rp.signed_authorize_requests = true;
  f.rp.request_object_key = ecRequestObjectKey();
  m.request_object_signing_alg_values_supported = {"RS256"};
  w = discoveryWarnings(m, f.rp);
  EXPECT_FALSE(has("require_pushed_authorization_requests"));
  EXPECT_FALSE(has("require_signed_request_object"));
  EXPECT_TRUE(has("request object algorithm ES256"));
}

TEST(PushedAuthorizationRequest, CarriesTheAuthorizeParametersAndBasicAuth) {
  Fixture f;
  auto req = buildPushedAuthorizationRequest(kPar, f.rp, f.txn, {}, {.now = 1, .jti = "a"},
                                             {.now = 1, .jti = "b"});
  ASSERT_TRUE(req);
  EXPECT_EQ(req->url, kPar);
  EXPECT_EQ(req->authorization.reveal(),
            basicAuthorization("client-1", f.rp.client_secret).reveal());
  auto form = formOf(*req);
  EXPECT_EQ(core::findParam(form, "client_id"), "client-1");
  EXPECT_EQ(core::findParam(form, "response_type"), "code");
  EXPECT_EQ(core::findParam(form, "redirect_uri"), f.rp.redirect_uri);
  EXPECT_EQ(core::findParam(form, "state"), f.txn.state.reveal());
  EXPECT_EQ(core::findParam(form, "nonce"), f.txn.nonce.reveal());
  EXPECT_EQ(core::findParam(form, "code_challenge"),
            pkceChallengeS256(f.txn.code_verifier.reveal()));
  EXPECT_EQ(core::findParam(form, "max_age"), "600");
  // Not Auth0 here: custom parameters keep their names.
  EXPECT_EQ(core::findParam(form, "tenant_hint"), "blue");
  EXPECT_FALSE(core::findParam(form, "code_verifier"));
  EXPECT_FALSE(core::findParam(form, "client_secret"));
}

TEST(PushedAuthorizationRequest, AuthenticatesAsAtTheTokenEndpointWithOneClientId) {
  Fixture f;
  f.rp.client_auth_method = ClientAuthMethod::kClientSecretPost;
  auto post = buildPushedAuthorizationRequest(kPar, f.rp, f.txn, {}, {.now = 1, .jti = "a"},
                                              {.now = 1, .jti = "b"});
  ASSERT_TRUE(post);
  auto form = formOf(*post);
  EXPECT_TRUE(post->authorization.empty());
  EXPECT_EQ(countOf(form, "client_id"), 1u) << "a duplicated client_id is refused (RFC 6749 s3.1)";
  EXPECT_EQ(core::findParam(form, "client_secret"), "very-secret-value");

  f.rp.client_auth_method = ClientAuthMethod::kClientSecretJwt;
  f.rp.client_secret = core::Secret(std::string(40, 's'));
  auto jwt = buildPushedAuthorizationRequest(kPar, f.rp, f.txn, {}, {.now = 7, .jti = "assertion"},
                                             {.now = 7, .jti = "b"});
  ASSERT_TRUE(jwt);
  form = formOf(*jwt);
  EXPECT_EQ(countOf(form, "client_id"), 1u);
  EXPECT_EQ(core::findParam(form, "client_assertion_type"), kJwtBearerAssertionType);
  auto assertion = decode(core::findParam(form, "client_assertion").value_or(""));
  EXPECT_EQ(assertion->claims.at("aud").as_string(), "https://tenant.auth0.com/");
  EXPECT_EQ(assertion->claims.at("jti").as_string(), "assertion");

  // private_key_jwt without its key fails closed, before anything is sent.
  f.rp.client_auth_method = ClientAuthMethod::kPrivateKeyJwt;
  EXPECT_EQ(buildPushedAuthorizationRequest(kPar, f.rp, f.txn, {}, {.now = 1, .jti = "a"},
                                            {.now = 1, .jti = "b"})
                .error(),
            Errc::kClientAssertionFailed);
}

TEST(PushedAuthorizationRequest, Auth0CustomParametersGetTheExtPrefix) {
  Fixture f;
  f.rp.auth0_issuer = true;
  f.rp.extra_authorize_params["ext-already"] = "x";
  f.rp.extra_authorize_params["acr_values"] =
      "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
  AuthorizeHints hints;
  hints.login_hint = "a@example.com";
  auto req = buildPushedAuthorizationRequest(kPar, f.rp, f.txn, hints, {.now = 1, .jti = "a"},
                                             {.now = 1, .jti = "b"});
  ASSERT_TRUE(req);
  auto form = formOf(*req);
  EXPECT_EQ(core::findParam(form, "ext-tenant_hint"), "blue");
  EXPECT_FALSE(core::findParam(form, "tenant_hint"));
  EXPECT_EQ(core::findParam(form, "ext-already"), "x");
  EXPECT_FALSE(core::findParam(form, "ext-ext-already"));
  // Parameters Auth0 reads by name keep it, and so do authgate's own.
  EXPECT_EQ(core::findParam(form, "invitation"), "inv-1");
  EXPECT_TRUE(core::findParam(form, "acr_values"));
  EXPECT_EQ(core::findParam(form, "login_hint"), "a@example.com");
  EXPECT_TRUE(core::findParam(form, "state"));
  EXPECT_FALSE(core::findParam(form, "ext-state"));
  // The front channel does not rename anything.
  auto url = buildAuthorizationRequest(kAuthorize, f.rp, f.txn).url;
  EXPECT_NE(url.find("&tenant_hint=blue"), std::string::npos) << url;
}

TEST(RequestObject, SignedWithItsOwnKeyAndBoundToClientAndIssuer) {
  Fixture f;
  f.rp.request_object_key = ecRequestObjectKey();
  auto built = authorizeParams(f.rp, f.txn, {});
  auto object = buildRequestObject(f.rp, built.params, {.now = 1'700'000'000, .jti = "ro-1"});
  ASSERT_TRUE(object);
  auto d = decode(object->reveal());
  EXPECT_EQ(d->jws.algName, "ES256");
  EXPECT_EQ(d->jws.kid, "jar-1");
  EXPECT_EQ(d->jws.header.at("typ").as_string(), "oauth-authz-req+jwt");
  auto jwk = jose::parseJwk(f.rp.request_object_key->publicJwk);
  ASSERT_TRUE(jwk);
  EXPECT_FALSE(jose::verifyAsymmetric(d->jws, jose::Alg::kES256, *jwk)) << "signature verifies";
  const auto& c = d->claims;
  EXPECT_EQ(c.at("iss").as_string(), "client-1");
  EXPECT_EQ(c.at("aud").as_string(), "https://tenant.auth0.com/");
  EXPECT_EQ(c.at("client_id").as_string(), "client-1");
  EXPECT_EQ(c.at("iat").as_int64(), 1'700'000'000);
  EXPECT_EQ(c.at("nbf").as_int64(), 1'700'000'000);
  EXPECT_EQ(c.at("exp").as_int64(), 1'700'000'000 + kRequestObjectLifetime);
  EXPECT_LE(kRequestObjectLifetime, 300);
  EXPECT_EQ(c.at("jti").as_string(), "ro-1");
  EXPECT_EQ(c.at("state").as_string(), f.txn.state.reveal());
  EXPECT_EQ(c.at("nonce").as_string(), f.txn.nonce.reveal());
  EXPECT_EQ(c.at("redirect_uri").as_string(), f.rp.redirect_uri);
  EXPECT_EQ(c.at("response_type").as_string(), "code");
  EXPECT_EQ(c.at("code_challenge_method").as_string(), "S256");
  EXPECT_EQ(c.at("max_age").as_int64(), 600) << "OIDC Core s6.1: a number";
  EXPECT_FALSE(c.contains("code_verifier"));

  // No key, or no jti: nothing is signed.
  auto noKey = f.rp;
  noKey.request_object_key.reset();
  EXPECT_EQ(buildRequestObject(noKey, built.params, {.now = 1, .jti = "j"}).error(),
            Errc::kRequestObjectFailed);
  EXPECT_EQ(buildRequestObject(f.rp, built.params, {.now = 1, .jti = ""}).error(),
            Errc::kRequestObjectFailed);
}

TEST(RequestObject, ByValueInTheUrlWithoutPar) {
  Fixture f;
  f.rp.signed_authorize_requests = true;
  f.rp.request_object_key = ecRequestObjectKey();
  auto req = buildSignedAuthorizationRequest(kAuthorize, f.rp, f.txn, {}, {.now = 1, .jti = "j"});
  ASSERT_TRUE(req);
  auto q = core::formDecode(req->url.substr(req->url.find('?') + 1));
  ASSERT_TRUE(q);
  std::vector<std::string> names;
  for (const auto& [k, v] : *q) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"client_id", "response_type", "scope", "request"}));
  // Nothing secret-bearing outside the signed object.
  EXPECT_EQ(req->url.find("state="), std::string::npos);
  EXPECT_EQ(req->url.find("nonce="), std::string::npos);
  auto d = decode(core::findParam(*q, "request").value_or(""));
  EXPECT_EQ(d->claims.at("state").as_string(), f.txn.state.reveal());
}

TEST(RequestObject, PushedByValueWithOnlyClientIdBesideIt) {
  Fixture f;
  f.rp.signed_authorize_requests = true;
  f.rp.auth0_issuer = true;
  f.rp.request_object_key = ecRequestObjectKey();
  auto req = buildPushedAuthorizationRequest(kPar, f.rp, f.txn, {}, {.now = 1, .jti = "a"},
                                             {.now = 1, .jti = "ro"});
  ASSERT_TRUE(req);
  auto form = formOf(*req);
  ASSERT_EQ(form.size(), 2u);
  EXPECT_EQ(form[0].first, "client_id");
  EXPECT_EQ(form[1].first, "request");
  EXPECT_FALSE(req->authorization.empty()) << "still client_secret_basic";
  auto d = decode(form[1].second);
  EXPECT_EQ(d->claims.at("jti").as_string(), "ro");
  EXPECT_EQ(d->claims.at("ext-tenant_hint").as_string(), "blue");
}

TEST(PushedAuthorizationResponse, AcceptsARequestUriWithAPositiveLifetime) {
  auto ok = parsePushedAuthorizationResponse(
      201,
      R"({"request_uri":"urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c","expires_in":30})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->request_uri, "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c");
  EXPECT_EQ(ok->expires_in, 30);
  EXPECT_TRUE(parsePushedAuthorizationResponse(
      200, R"({"request_uri":"urn:example:bwc4JK-ESC0w8acc191e-Y1LTC2","expires_in":60.0})"));

  Fixture f;
  auto url = pushedAuthorizationUrl(kAuthorize, f.rp, *ok);
  EXPECT_EQ(url, std::string(kAuthorize) +
                     "?client_id=client-1&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%"
                     "3A6esc_11ACC5bwc014ltc14eY22c");
}

struct BadPar {
  const char* name;
  int status;
  std::string body;
  Errc expected;
};

class ParResponseRejects : public ::testing::TestWithParam<BadPar> {};

TEST_P(ParResponseRejects, WithItsOwnCode) {
  const auto& c = GetParam();
  auto r = parsePushedAuthorizationResponse(c.status, c.body);
  ASSERT_FALSE(r) << c.name;
  EXPECT_EQ(r.error(), c.expected) << c.name;
}

const std::string kUri = R"("request_uri":"urn:ietf:params:oauth:request_uri:abc")";

INSTANTIATE_TEST_SUITE_P(
    Table, ParResponseRejects,
    ::testing::Values(
        BadPar{"not_json", 201, "request_uri=urn:x", Errc::kBadParResponse},
        BadPar{"array", 201, "[]", Errc::kBadParResponse},
        BadPar{"empty_object", 201, "{}", Errc::kBadParResponse},
        BadPar{"no_request_uri", 201, R"({"expires_in":30})", Errc::kBadParResponse},
        BadPar{"request_uri_number", 201, R"({"request_uri":5,"expires_in":30})",
               Errc::kBadParResponse},
        BadPar{"request_uri_empty", 201, R"({"request_uri":"","expires_in":30})",
               Errc::kBadParResponse},
        BadPar{"request_uri_not_a_uri", 201, R"({"request_uri":"abc","expires_in":30})",
               Errc::kBadParResponse},
        BadPar{"request_uri_space", 201, R"({"request_uri":"urn:a b","expires_in":30})",
               Errc::kBadParResponse},
        BadPar{"request_uri_control", 201, R"({"request_uri":"urn:a\r\nb","expires_in":30})",
               Errc::kBadParResponse},
        BadPar{"request_uri_too_long", 201,
               R"({"request_uri":"urn:)" + std::string(kMaxRequestUriBytes, 'a') +
                   R"(","expires_in":30})",
               Errc::kBadParResponse},
        BadPar{"no_expires_in", 201, "{" + kUri + "}", Errc::kBadParResponse},
        BadPar{"expires_in_string", 201, "{" + kUri + R"(,"expires_in":"30"})",
               Errc::kBadParResponse},
        BadPar{"expires_in_zero", 201, "{" + kUri + R"(,"expires_in":0})", Errc::kBadParResponse},
        BadPar{"expires_in_negative", 201, "{" + kUri + R"(,"expires_in":-5})",
               Errc::kBadParResponse},
        BadPar{"expires_in_fraction", 201, "{" + kUri + R"(,"expires_in":30.5})",
               Errc::kBadParResponse},
        BadPar{"expires_in_huge", 201, "{" + kUri + R"(,"expires_in":86400000})",
               Errc::kBadParResponse},
        BadPar{"expires_in_true", 201, "{" + kUri + R"(,"expires_in":true})",
               Errc::kBadParResponse},
        BadPar{"too_large", 201,
               "{" + kUri + R"(,"expires_in":30,"pad":")" + std::string(kMaxParResponseBytes, 'p') +
                   "\"}",
               Errc::kBadParResponse},
        BadPar{"duplicate_member", 201, "{" + kUri + "," + kUri + R"(,"expires_in":30})",
               Errc::kBadParResponse},
        BadPar{"error_in_a_2xx", 201, R"({"error":"invalid_request"})", Errc::kParRejected},
        BadPar{"status_302", 302, "", Errc::kParRejected},
        BadPar{"invalid_request", 400, R"({"error":"invalid_request"})", Errc::kParRejected},
        BadPar{"unauthorized_client", 400, R"({"error":"unauthorized_client"})",
               Errc::kParRejected},
        BadPar{"invalid_client", 400, R"({"error":"invalid_client"})", Errc::kInvalidClient},
        BadPar{"bare_401", 401, "", Errc::kInvalidClient},
        BadPar{"rate_limited", 429, R"({"error":"too_many_requests"})", Errc::kParUnavailable},
        BadPar{"server_error", 503, "<html>down</html>", Errc::kParUnavailable}),
    [](const ::testing::TestParamInfo<BadPar>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace authgate::oidc
