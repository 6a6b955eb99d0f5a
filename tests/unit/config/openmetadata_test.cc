#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/environment.h"
#include "config/load.h"
#include "config_test_util.h"

namespace authgate::config {
namespace {

using testing::hasProblem;
using testing::problemsText;

Environment exampleEnvFile() {
  std::ifstream in(AUTHGATE_EXAMPLES_DIR "/openmetadata.env");
  std::ostringstream text;
  text << in.rdbuf();
  auto file = parseEnvFile(text.str());
  EXPECT_TRUE(file.errors.empty());
  return file.values;
}

// An env file in the shape OpenMetadata's Auth0 Docker guide publishes (its "implicit"
// and "authcode" tabs, placeholders filled in), read as `--env-file` reads it.
Environment guideFile(const std::string& name) {
  auto r = withEnvFiles({AUTHGATE_EXAMPLES_DIR "/../tests/unit/config/testdata/" + name}, {});
  for (const auto& [where, reason] : r.problems) ADD_FAILURE() << where << ": " << reason;
  return r.env;
}

// examples/openmetadata.env with one variable changed.
Environment exampleWith(const std::string& name, const std::string& value) {
  auto env = exampleEnvFile();
  env[name] = value;
  return env;
}

TEST(OpenMetadataEnv, ExampleFileYieldsTheExpectedConfig) {
  const auto env = exampleEnvFile();
  ASSERT_EQ(env.at("OIDC_TYPE"), "auth0");
  auto r = load("", env);
  ASSERT_TRUE(r.ok()) << problemsText(r);
  const auto& p = r.config.provider;
  EXPECT_EQ(p.type, "auth0");
  EXPECT_EQ(p.issuer, "https://example-tenant.us.auth0.com/") << "Auth0's issuer ends with /";
  EXPECT_EQ(p.discovery_url,
            "https://example-tenant.us.auth0.com/.well-known/openid-configuration");
  EXPECT_EQ(p.client_id, "EXAMPLEclientIdReplaceMe123");
  EXPECT_EQ(p.client_secret.reveal(), "example-client-secret-replace-me");
  EXPECT_EQ(p.client_auth_method, "client_secret_post");
  EXPECT_EQ(p.scopes, (std::vector<std::string>{"openid", "email", "profile", "offline_access"}));
  EXPECT_EQ(p.callback_url, "http://localhost:8585/callback");
  EXPECT_EQ(p.id_token_algs, std::vector<std::string>{"RS256"});
  EXPECT_EQ(p.jwks_urls, (std::vector<std::string>{
                             "http://localhost:8585/api/v1/system/config/jwks",
                             "https://example-tenant.us.auth0.com/.well-known/jwks.json"}));
  EXPECT_TRUE(p.use_pkce) << "OIDC_DISABLE_PKCE=true must not turn PKCE off";
  EXPECT_EQ(p.prompt, "");
  EXPECT_EQ(p.max_age, -1);
  EXPECT_EQ(p.clock_skew, Duration{60});
  EXPECT_TRUE(p.extra_authorize_params.empty());
  EXPECT_EQ(r.config.server.public_url, "http://localhost:8585");
  EXPECT_EQ(r.config.server.allowed_redirect_origins,
            std::vector<std::string>{"http://localhost:8585"});
  EXPECT_EQ(r.config.session.absolute_timeout, Duration{604800});
  EXPECT_EQ(r.config.access.admin_principals, std::vector<std::string>{"admin"});
  EXPECT_EQ(r.config.access.jwt_principal_claims,
            (std::vector<std::string>{"email", "preferred_username", "sub"}));
  EXPECT_TRUE(r.config.access.allowed_email_domains.empty()) << "not enforced, [\"all\"]";
}

TEST(OpenMetadataEnv, PublicClientTypeIsAProblemWithAReason) {
  auto r = load("", exampleWith("AUTHENTICATION_CLIENT_TYPE", "public"));
  EXPECT_TRUE(hasProblem(r,
                         "AUTHENTICATION_CLIENT_TYPE: public (browser-only) clients are not "
                         "supported: authgate is a confidential client"))
      << problemsText(r);
}

TEST(OpenMetadataEnv, UnknownClientTypeIsAProblem) {
  auto r = load("", exampleWith("AUTHENTICATION_CLIENT_TYPE", "hybrid"));
  EXPECT_TRUE(hasProblem(r, "AUTHENTICATION_CLIENT_TYPE: expected confidential, got \"hybrid\""));
}

TEST(OpenMetadataEnv, NonCodeResponseTypeIsAProblem) {
  auto r = load("", exampleWith("OIDC_RESPONSE_TYPE", "id_token"));
  EXPECT_TRUE(hasProblem(r,
                         "OIDC_RESPONSE_TYPE: only the Authorization Code Flow is supported "
                         "(code), got \"id_token\""));
}

TEST(OpenMetadataEnv, PkceAndNonceFlagsAreCheckedButIgnored) {
  auto env = exampleWith("OIDC_DISABLE_PKCE", "false");
  env["OIDC_USE_NONCE"] = "false";
  auto r = load("", env);
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_TRUE(r.config.provider.use_pkce);
  auto bad = load("", exampleWith("OIDC_DISABLE_PKCE", "sometimes"));
  EXPECT_TRUE(hasProblem(bad, "OIDC_DISABLE_PKCE: expected true or false, got \"sometimes\""));
}

TEST(OpenMetadataEnv, AuthorityKeepsNonAuth0IssuersAsWritten) {
  auto env = exampleWith("AUTHENTICATION_PROVIDER", "custom-oidc");
  env["OIDC_TYPE"] = "custom-oidc";
  env["AUTHENTICATION_AUTHORITY"] = "https://idp.example.com/realms/main";
  auto r = load("", env);
  EXPECT_EQ(r.config.provider.issuer, "https://idp.example.com/realms/main");
  EXPECT_EQ(r.config.provider.type, "custom-oidc");
}

TEST(OpenMetadataEnv, Auth0HostGetsTheSlashEvenWithoutAType) {
  auto env = exampleEnvFile();
  env.erase("AUTHENTICATION_PROVIDER");
  env.erase("OIDC_TYPE");
  auto r = load("", env);
  EXPECT_EQ(r.config.provider.issuer, "https://example-tenant.us.auth0.com/");
}

TEST(OpenMetadataEnv, BasicAuthProviderIsAProblem) {
  auto env = exampleWith("AUTHENTICATION_PROVIDER", "basic");
  env.erase("OIDC_TYPE");
  auto r = load("", env);
  EXPECT_TRUE(hasProblem(r, "provider.type: \"basic\" is not an OpenID Connect provider"))
      << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "(from AUTHENTICATION_PROVIDER)")) << problemsText(r);
}

TEST(OpenMetadataEnv, DifferentClientIdsAreAProblem) {
  auto r = load("", exampleWith("AUTHENTICATION_CLIENT_ID", "other"));
  EXPECT_TRUE(hasProblem(r, "AUTHENTICATION_CLIENT_ID: differs from OIDC_CLIENT_ID"));
}

TEST(OpenMetadataEnv, SessionExpiryInSecondsAlsoBoundsTheDefaultIdleTimeout) {
  auto r = load("", exampleWith("OIDC_SESSION_EXPIRY", "3600"));
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.session.absolute_timeout, Duration{3600});
  EXPECT_EQ(r.config.session.idle_timeout, Duration{3600});
}

TEST(OpenMetadataEnv, SessionExpiryMustBeSeconds) {
  auto r = load("", exampleWith("OIDC_SESSION_EXPIRY", "a week"));
  EXPECT_TRUE(hasProblem(r, "OIDC_SESSION_EXPIRY: invalid duration \"a week\""));
  auto negative = load("", exampleWith("OIDC_SESSION_EXPIRY", "-1"));
  EXPECT_TRUE(hasProblem(negative, "OIDC_SESSION_EXPIRY: negative duration \"-1\""));
}

TEST(OpenMetadataEnv, OptionalValuesWhenSet) {
  auto env = exampleWith("OIDC_PROMPT_TYPE", "login");
  env["OIDC_MAX_AGE"] = "300";
  env["OIDC_MAX_CLOCK_SKEW"] = "30";
  env["OIDC_CUSTOM_PARAMS"] = "{connection: google-oauth2}";
  env["OIDC_TENANT"] = "t1";
  auto r = load("", env);
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.prompt, "login");
  EXPECT_EQ(r.config.provider.max_age, 300);
  EXPECT_EQ(r.config.provider.clock_skew, Duration{30});
  EXPECT_EQ(r.config.provider.extra_authorize_params.at("connection"), "google-oauth2");
  EXPECT_EQ(r.config.provider.tenant, "t1");
}

TEST(OpenMetadataEnv, MissingClientSecretIsAProblem) {
  auto env = exampleEnvFile();
  env.erase("OIDC_CLIENT_SECRET");
  auto r = load("", env);
  EXPECT_TRUE(hasProblem(r, "provider.client_secret: required"));
}

TEST(OpenMetadataEnv, EnforcedPrincipalDomainRestrictsEmails) {
  auto r = load("", exampleWith("AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN", "true"));
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.access.allowed_email_domains, std::vector<std::string>{"example.com"});
}

TEST(OpenMetadataEnv, EnforcedWithoutDomainIsAProblem) {
  auto env = exampleWith("AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN", "true");
  env["AUTHORIZER_PRINCIPAL_DOMAIN"] = "";
  auto r = load("", env);
  EXPECT_TRUE(hasProblem(r,
                         "AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN: is true but "
                         "AUTHORIZER_PRINCIPAL_DOMAIN is empty"));
}

TEST(OpenMetadataEnv, RegistrationDomainsRestrictEmails) {
  auto r =
      load("", exampleWith("AUTHORIZER_ALLOWED_REGISTRATION_DOMAIN", "[example.com, Example.org]"));
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.access.allowed_email_domains,
            (std::vector<std::string>{"example.com", "example.org"}));
}

TEST(OpenMetadataEnv, BothDomainRulesIntersect) {
  auto env = exampleWith("AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN", "true");
  env["AUTHORIZER_ALLOWED_REGISTRATION_DOMAIN"] = "[example.com,example.org]";
  EXPECT_EQ(load("", env).config.access.allowed_email_domains,
            std::vector<std::string>{"example.com"});
  env["AUTHORIZER_ALLOWED_REGISTRATION_DOMAIN"] = "[example.org]";
  auto r = load("", env);
  EXPECT_TRUE(hasProblem(r,
                         "AUTHORIZER_ALLOWED_REGISTRATION_DOMAIN: does not include the "
                         "enforced AUTHORIZER_PRINCIPAL_DOMAIN"));
}

TEST(OpenMetadataEnv, BadCallbackUrlIsAProblem) {
  auto r = load("", exampleWith("AUTHENTICATION_CALLBACK_URL", "/callback"));
  EXPECT_TRUE(hasProblem(r,
                         "AUTHENTICATION_CALLBACK_URL: expected an absolute URL, got "
                         "\"/callback\""));
  auto cb = load("", exampleWith("OIDC_CALLBACK", "callback"));
  EXPECT_TRUE(hasProblem(cb,
                         "provider.callback_url: \"callback\" is not an absolute URL (from "
                         "OIDC_CALLBACK)"))
      << problemsText(cb);
}

TEST(OpenMetadataGuide, AuthCodeTabLoadsUnchanged) {
  const auto env = guideFile("openmetadata_auth0_authcode.env");
  EXPECT_EQ(env.at("AUTHORIZER_ADMIN_PRINCIPALS"), "[admin]") << "inline comment dropped";
  EXPECT_EQ(env.at("AUTHENTICATION_CLIENT_TYPE"), "confidential") << "space after = dropped";
  EXPECT_EQ(env.at("OIDC_TENANT"), "") << "KEY=\"\" is empty, not two quotes";
  auto r = load("", env);
  ASSERT_TRUE(r.ok()) << problemsText(r);
  const auto& p = r.config.provider;
  EXPECT_EQ(p.issuer, "https://dev-abc123.us.auth0.com/");
  EXPECT_EQ(p.discovery_url, "https://dev-abc123.us.auth0.com/.well-known/openid-configuration")
      << "KEY: VALUE (compose's YAML-style line)";
  EXPECT_EQ(p.client_id, "abc123def456ghi789");
  EXPECT_EQ(p.client_secret.reveal(), "s3cret-from-auth0");
  EXPECT_EQ(p.callback_url, "http://localhost:8585/callback") << "${OIDC_CALLBACK:-\"...\"}";
  EXPECT_EQ(p.scopes, (std::vector<std::string>{"openid", "email", "profile", "offline_access"}));
  EXPECT_EQ(p.jwks_urls,
            (std::vector<std::string>{"https://dev-abc123.us.auth0.com/.well-known/jwks.json",
                                      "https://om.example.com/api/v1/system/config/jwks"}));
  EXPECT_EQ(p.tenant, "");
  EXPECT_EQ(p.clock_skew, Duration{60});
  EXPECT_TRUE(p.extra_authorize_params.empty());
  EXPECT_EQ(r.config.access.admin_principals, std::vector<std::string>{"admin"});
  EXPECT_EQ(r.config.server.allowed_redirect_origins,
            std::vector<std::string>{"http://localhost:8585"});
}

TEST(OpenMetadataGuide, ImplicitTabLoadsAndIsRefusedOnlyForBeingPublic) {
  const auto env = guideFile("openmetadata_auth0_implicit.env");
  EXPECT_EQ(env.at("AUTHENTICATION_CLIENT_TYPE"), "public");
  EXPECT_EQ(env.at("AUTHORIZER_PRINCIPAL_DOMAIN"), "example.com");
  auto r = load("", env);
  EXPECT_TRUE(hasProblem(r,
                         "AUTHENTICATION_CLIENT_TYPE: public (browser-only) clients are not "
                         "supported"))
      << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "provider.client_secret: required")) << problemsText(r);
  EXPECT_EQ(r.problems.size(), 2u) << problemsText(r);
  EXPECT_EQ(r.config.provider.issuer, "https://dev-abc123.us.auth0.com/");
}

TEST(OpenMetadataGuide, ImplicitTabPlusASecondFileBecomesConfidential) {
  testing::TempDir dir;
  const auto extra =
      dir.write("secret.env", "AUTHENTICATION_CLIENT_TYPE=confidential\nOIDC_CLIENT_SECRET=x\n");
  auto files = withEnvFiles(
      {AUTHGATE_EXAMPLES_DIR "/../tests/unit/config/testdata/openmetadata_auth0_implicit.env",
       extra},
      {});
  ASSERT_TRUE(files.problems.empty());
  auto r = load("", files.env);
  EXPECT_TRUE(r.ok()) << problemsText(r);
}

TEST(OpenMetadataGuide, ExampleFileReadsTheSameWithTheEnvFileParser) {
  auto r = withEnvFiles({AUTHGATE_EXAMPLES_DIR "/openmetadata.env"}, {});
  ASSERT_TRUE(r.problems.empty());
  EXPECT_EQ(r.env.at("OIDC_SCOPE"), "openid email profile offline_access");
  EXPECT_TRUE(load("", r.env).ok());
}

}  // namespace
}  // namespace authgate::config
