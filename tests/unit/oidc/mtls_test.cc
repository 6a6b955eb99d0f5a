// mTLS client authentication (RFC 8705): the aliases discovery names, and what the
// token-endpoint requests carry when the certificate authenticates.
#include <gtest/gtest.h>

#include "authgate/core/codec.h"
#include "authgate/oidc/discovery.h"
#include "authgate/oidc/options.h"
#include "authgate/oidc/token.h"

namespace authgate::oidc {
namespace {

constexpr std::string_view kIssuer = "https://login.example.com/";

std::string doc(std::string_view aliases) {
  return std::string(R"({"issuer":"https://login.example.com/",)"
                     R"("authorization_endpoint":"https://login.example.com/authorize",)"
                     R"("token_endpoint":"https://login.example.com/oauth/token",)"
                     R"("revocation_endpoint":"https://login.example.com/oauth/revoke",)"
                     R"("userinfo_endpoint":"https://login.example.com/userinfo",)"
                     R"("jwks_uri":"https://login.example.com/.well-known/jwks.json")") +
         (aliases.empty() ? "" : ",\"mtls_endpoint_aliases\":" + std::string(aliases)) + "}";
}

TEST(MtlsEndpointAliases, ReplaceTheEndpointsTheyName) {
  auto m = parseProviderMetadata(
      doc(R"({"token_endpoint":"https://mtls.login.example.com/oauth/token",)"
          R"("revocation_endpoint":"https://mtls.login.example.com/oauth/revoke"})"),
      kIssuer);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->token_endpoint, "https://login.example.com/oauth/token") << "unchanged by parsing";
  auto a = withMtlsEndpointAliases(*m);
  EXPECT_EQ(a.token_endpoint, "https://mtls.login.example.com/oauth/token");
  EXPECT_EQ(a.revocation_endpoint, "https://mtls.login.example.com/oauth/revoke");
  EXPECT_EQ(a.userinfo_endpoint, "https://login.example.com/userinfo") << "no alias: kept";
  EXPECT_EQ(a.authorization_endpoint, m->authorization_endpoint);
}

TEST(MtlsEndpointAliases, CoverThePushedAuthorizationRequestEndpoint) {
  // RFC 8705 s5: PAR is authenticated like the token endpoint, so it has an alias too.
  std::string d = doc(R"({"pushed_authorization_request_endpoint":)"
                      R"("https://mtls.login.example.com/oauth/par"})");
  d.insert(1, R"("pushed_authorization_request_endpoint":"https://login.example.com/oauth/par",)");
  auto m = parseProviderMetadata(d, kIssuer);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->pushed_authorization_request_endpoint, "https://login.example.com/oauth/par");
  EXPECT_EQ(withMtlsEndpointAliases(*m).pushed_authorization_request_endpoint,
            "https://mtls.login.example.com/oauth/par");
  EXPECT_EQ(withMtlsEndpointAliases(*m).token_endpoint, m->token_endpoint) << "no alias: kept";
}

TEST(MtlsEndpointAliases, AreCheckedLikeEveryEndpoint) {
  EXPECT_EQ(parseProviderMetadata(doc(R"("https://x.example/")"), kIssuer).error(),
            Errc::kMalformedEndpoint);
  EXPECT_EQ(parseProviderMetadata(doc(R"({"token_endpoint":7})"), kIssuer).error(),
            Errc::kMalformedEndpoint);
  EXPECT_EQ(
      parseProviderMetadata(doc(R"({"token_endpoint":"http://mtls.example/t"})"), kIssuer).error(),
      Errc::kInsecureEndpoint);
  EXPECT_EQ(parseProviderMetadata(doc(R"({"token_endpoint":"not a url"})"), kIssuer).error(),
            Errc::kMalformedEndpoint);
  auto none = parseProviderMetadata(doc(""), kIssuer);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->mtls_endpoint_aliases.empty());
  EXPECT_EQ(withMtlsEndpointAliases(*none).token_endpoint, none->token_endpoint);
}

TEST(TlsClientAuth, TheBodyCarriesClientIdAndNoCredential) {
  for (auto method :
       {ClientAuthMethod::kTlsClientAuth, ClientAuthMethod::kSelfSignedTlsClientAuth}) {
    RelyingPartyOptions rp;
    rp.issuer = std::string(kIssuer);
    rp.client_id = "cid";
    rp.client_secret = core::Secret("must-not-be-sent");
    rp.client_auth_method = method;
    auto req = buildRefreshRequest("https://mtls.login.example.com/oauth/token", rp,
                                   core::Secret("rt-1"), {.now = 1, .jti = "j"});
    ASSERT_TRUE(req.has_value());
    EXPECT_TRUE(req->authorization.empty());
    auto params = core::formDecode(req->body.reveal());
    ASSERT_TRUE(params.has_value());
    std::map<std::string, std::string> p(params->begin(), params->end());
    EXPECT_EQ(p["client_id"], "cid");
    EXPECT_EQ(p["grant_type"], "refresh_token");
    EXPECT_FALSE(p.contains("client_secret"));
    EXPECT_FALSE(p.contains("client_assertion"));
    EXPECT_EQ(req->body.reveal().find("must-not-be-sent"), std::string::npos);
  }
  EXPECT_EQ(parseClientAuthMethod("tls_client_auth"), ClientAuthMethod::kTlsClientAuth);
  EXPECT_EQ(clientAuthMethodName(ClientAuthMethod::kSelfSignedTlsClientAuth),
            "self_signed_tls_client_auth");
  EXPECT_TRUE(isTlsClientAuth(ClientAuthMethod::kTlsClientAuth));
  EXPECT_FALSE(isTlsClientAuth(ClientAuthMethod::kPrivateKeyJwt));
}

}  // namespace
}  // namespace authgate::oidc
