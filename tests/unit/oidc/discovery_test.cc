#include "authgate/oidc/discovery.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace authgate::oidc {
namespace {

constexpr std::string_view kIssuer = "https://tenant.eu.auth0.com/";

boost::json::object auth0Doc() {
  return boost::json::parse(R"({
    "issuer": "https://tenant.eu.auth0.com/",
    "authorization_endpoint": "https://tenant.eu.auth0.com/authorize",
    "token_endpoint": "https://tenant.eu.auth0.com/oauth/token",
    "userinfo_endpoint": "https://tenant.eu.auth0.com/userinfo",
    "jwks_uri": "https://tenant.eu.auth0.com/.well-known/jwks.json",
    "end_session_endpoint": "https://tenant.eu.auth0.com/oidc/logout",
    "revocation_endpoint": "https://tenant.eu.auth0.com/oauth/revoke",
    "response_types_supported": ["code", "token id_token"],
    "code_challenge_methods_supported": ["S256", "plain"],
    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
    "authorization_response_iss_parameter_supported": true,
    "backchannel_logout_supported": true
  })")
      .as_object();
}

std::string text(const boost::json::object& o) { return boost::json::serialize(o); }

TEST(Discovery, UrlHasExactlyOneSlashBeforeWellKnown) {
  EXPECT_EQ(discoveryUrl("https://t.auth0.com/"),
            "https://t.auth0.com/.well-known/openid-configuration");
  EXPECT_EQ(discoveryUrl("https://t.auth0.com"),
            "https://t.auth0.com/.well-known/openid-configuration");
  EXPECT_EQ(discoveryUrl("https://idp.example/realms/x"),
            "https://idp.example/realms/x/.well-known/openid-configuration");
}

TEST(Discovery, ParsesAuth0Metadata) {
  auto m = parseProviderMetadata(text(auth0Doc()), kIssuer);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->issuer, kIssuer);
  EXPECT_EQ(m->token_endpoint, "https://tenant.eu.auth0.com/oauth/token");
  EXPECT_EQ(m->end_session_endpoint, "https://tenant.eu.auth0.com/oidc/logout");
  EXPECT_EQ(m->revocation_endpoint, "https://tenant.eu.auth0.com/oauth/revoke");
  EXPECT_EQ(m->code_challenge_methods_supported, (std::vector<std::string>{"S256", "plain"}));
  EXPECT_EQ(m->id_token_signing_alg_values_supported.size(), 3u);
  EXPECT_TRUE(m->authorization_response_iss_parameter_supported);
  EXPECT_TRUE(m->backchannel_logout_supported);
}

TEST(Discovery, AcceptsHttpOnLoopbackOnly) {
  for (std::string host : {"127.0.0.1:4000", "127.9.8.7", "[::1]:8080", "localhost:3000"}) {
    auto doc = auth0Doc();
    std::string iss = "http://" + host + "/";
    doc["issuer"] = iss;
    doc["authorization_endpoint"] = iss + "authorize";
    doc["token_endpoint"] = iss + "oauth/token";
    doc["userinfo_endpoint"] = iss + "userinfo";
    doc["jwks_uri"] = iss + ".well-known/jwks.json";
    doc["end_session_endpoint"] = iss + "oidc/logout";
    doc["revocation_endpoint"] = iss + "oauth/revoke";
    auto m = parseProviderMetadata(text(doc), iss);
    EXPECT_TRUE(m) << host;
  }
}

struct Bad {
  const char* name;
  const char* field;     // member to replace ("" = none)
  const char* value;     // JSON text of the new value, or "DELETE"
  const char* expected;  // configured issuer
  Errc code;
};

class DiscoveryRejects : public ::testing::TestWithParam<Bad> {};

TEST_P(DiscoveryRejects, WithItsOwnCode) {
  const auto& c = GetParam();
  auto doc = auth0Doc();
  if (std::string_view(c.value) == "DELETE") {
    doc.erase(c.field);
  } else if (*c.field) {
    doc[c.field] = boost::json::parse(c.value);
  }
  auto m = parseProviderMetadata(text(doc), c.expected);
  ASSERT_FALSE(m) << c.name;
  EXPECT_EQ(m.error(), make_error_code(c.code)) << c.name << ": " << m.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, DiscoveryRejects,
    ::testing::Values(
        Bad{"issuer_without_trailing_slash", "", "", "https://tenant.eu.auth0.com",
            Errc::kIssuerMismatch},
        Bad{"doc_issuer_without_slash", "issuer", R"("https://tenant.eu.auth0.com")",
            "https://tenant.eu.auth0.com/", Errc::kIssuerMismatch},
        Bad{"other_tenant", "", "", "https://other.eu.auth0.com/", Errc::kIssuerMismatch},
        Bad{"issuer_case", "", "", "https://TENANT.eu.auth0.com/", Errc::kIssuerMismatch},
        Bad{"issuer_missing", "issuer", "DELETE", "https://tenant.eu.auth0.com/",
            Errc::kMissingRequiredField},
        Bad{"issuer_not_string", "issuer", "42", "https://tenant.eu.auth0.com/",
            Errc::kMissingRequiredField},
        Bad{"token_endpoint_missing", "token_endpoint", "DELETE", "https://tenant.eu.auth0.com/",
            Errc::kMissingRequiredField},
        Bad{"authorization_endpoint_missing", "authorization_endpoint", "DELETE",
            "https://tenant.eu.auth0.com/", Errc::kMissingRequiredField},
        Bad{"jwks_uri_missing", "jwks_uri", "DELETE", "https://tenant.eu.auth0.com/",
            Errc::kMissingRequiredField},
        Bad{"http_token_endpoint", "token_endpoint", R"("http://tenant.eu.auth0.com/oauth/token")",
            "https://tenant.eu.auth0.com/", Errc::kInsecureEndpoint},
        Bad{"http_jwks_private_ip", "jwks_uri", R"("http://10.0.0.1/jwks")",
            "https://tenant.eu.auth0.com/", Errc::kInsecureEndpoint},
        Bad{"http_localhost_lookalike", "userinfo_endpoint", R"("http://localhost.evil.example/u")",
            "https://tenant.eu.auth0.com/", Errc::kInsecureEndpoint},
        Bad{"http_128_loopback_lookalike", "end_session_endpoint", R"("http://128.0.0.1/logout")",
            "https://tenant.eu.auth0.com/", Errc::kInsecureEndpoint},
        Bad{"relative_endpoint", "token_endpoint", R"("/oauth/token")",
            "https://tenant.eu.auth0.com/", Errc::kMalformedEndpoint},
        Bad{"space_in_endpoint", "authorization_endpoint", R"("https://tenant.eu.auth0.com/a b")",
            "https://tenant.eu.auth0.com/", Errc::kMalformedEndpoint},
        Bad{"javascript_endpoint", "revocation_endpoint", "\"javascript:alert(1)\"",
            "https://tenant.eu.auth0.com/", Errc::kMalformedEndpoint},
        Bad{"userinfo_in_endpoint", "token_endpoint", R"("https://user:pw@tenant.eu.auth0.com/t")",
            "https://tenant.eu.auth0.com/", Errc::kMalformedEndpoint},
        Bad{"no_host", "jwks_uri", R"("https:///jwks")", "https://tenant.eu.auth0.com/",
            Errc::kMalformedEndpoint},
        Bad{"fragment_in_endpoint", "authorization_endpoint",
            R"("https://tenant.eu.auth0.com/authorize#x")", "https://tenant.eu.auth0.com/",
            Errc::kMalformedEndpoint},
        Bad{"issuer_with_query", "issuer", R"("https://tenant.eu.auth0.com/?x=1")",
            "https://tenant.eu.auth0.com/?x=1", Errc::kMalformedEndpoint},
        Bad{"endpoint_not_string", "end_session_endpoint", "[]", "https://tenant.eu.auth0.com/",
            Errc::kMalformedEndpoint},
        Bad{"no_code_flow", "response_types_supported", R"(["token"])",
            "https://tenant.eu.auth0.com/", Errc::kCodeFlowNotSupported}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(Discovery, RejectsNonJsonAndNonObject) {
  EXPECT_EQ(parseProviderMetadata("<html>", kIssuer).error(),
            make_error_code(Errc::kBadDiscoveryDocument));
  EXPECT_EQ(parseProviderMetadata("[1]", kIssuer).error(),
            make_error_code(Errc::kBadDiscoveryDocument));
  EXPECT_EQ(parseProviderMetadata("", kIssuer).error(),
            make_error_code(Errc::kBadDiscoveryDocument));
}

TEST(Discovery, LoopbackHosts) {
  EXPECT_TRUE(isLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(isLoopbackHost("127.255.0.9"));
  EXPECT_TRUE(isLoopbackHost("[::1]"));
  EXPECT_TRUE(isLoopbackHost("LOCALHOST"));
  EXPECT_FALSE(isLoopbackHost("localhost.example"));
  EXPECT_FALSE(isLoopbackHost("127.0.0.1.nip.io"));
  EXPECT_FALSE(isLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(isLoopbackHost("[::2]"));
}

TEST(Discovery, WarnsAboutMissingLogoutS256AuthMethodAndAlg) {
  auto doc = auth0Doc();
  doc["issuer"] = "https://idp.example/";
  for (auto f : {"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                 "revocation_endpoint"}) {
    doc[f] = "https://idp.example/x";
  }
  doc.erase("end_session_endpoint");
  doc["code_challenge_methods_supported"] = boost::json::array{"plain"};
  doc["token_endpoint_auth_methods_supported"] = boost::json::array{"client_secret_basic"};
  doc["id_token_signing_alg_values_supported"] = boost::json::array{"RS256"};
  auto m = parseProviderMetadata(text(doc), "https://idp.example/");
  ASSERT_TRUE(m);
  RelyingPartyOptions rp;
  rp.client_auth_method = ClientAuthMethod::kClientSecretPost;
  rp.id_token_algs = {"PS256"};
  auto w = discoveryWarnings(*m, rp);
  auto has = [&](std::string_view needle) {
    for (const auto& s : w) {
      if (s.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("end_session_endpoint"));
  EXPECT_TRUE(has("S256"));
  EXPECT_TRUE(has("client_secret_post"));
  EXPECT_TRUE(has("PS256"));

  auto good = parseProviderMetadata(text(auth0Doc()), kIssuer);
  ASSERT_TRUE(good);
  EXPECT_TRUE(discoveryWarnings(*good, RelyingPartyOptions{}).empty());
}

TEST(Discovery, LogoutStyle) {
  ProviderMetadata auth0;
  auth0.issuer = "https://tenant.eu.auth0.com/";
  auth0.end_session_endpoint = "https://tenant.eu.auth0.com/oidc/logout";
  ProviderMetadata other;
  other.issuer = "https://idp.example/";
  other.end_session_endpoint = "https://idp.example/logout";
  ProviderMetadata bare;
  bare.issuer = "https://idp.example/";
  ProviderMetadata lookalike;
  lookalike.issuer = "https://evilauth0.com/";

  EXPECT_EQ(chooseLogoutStyle("auto", auth0), LogoutStyle::kAuth0);
  EXPECT_EQ(chooseLogoutStyle("auto", other), LogoutStyle::kOidc);
  EXPECT_EQ(chooseLogoutStyle("auto", bare), LogoutStyle::kNone);
  EXPECT_EQ(chooseLogoutStyle("auto", lookalike), LogoutStyle::kNone);
  EXPECT_EQ(chooseLogoutStyle("auth0", other), LogoutStyle::kAuth0);  // custom domain
  EXPECT_EQ(chooseLogoutStyle("oidc", auth0), LogoutStyle::kOidc);
  EXPECT_EQ(chooseLogoutStyle("oidc", bare), LogoutStyle::kNone);
  EXPECT_EQ(chooseLogoutStyle("none", auth0), LogoutStyle::kNone);
  EXPECT_TRUE(isAuth0Host("t.auth0.com"));
  EXPECT_TRUE(isAuth0Host("T.US.AUTH0.COM"));
  EXPECT_FALSE(isAuth0Host("auth0.com.evil.io"));
  EXPECT_FALSE(isAuth0Host("auth0.com"));
}

}  // namespace
}  // namespace authgate::oidc
