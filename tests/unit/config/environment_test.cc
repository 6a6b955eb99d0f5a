#include <gtest/gtest.h>

#include "config/field.h"
#include "config/load.h"
#include "config_test_util.h"

namespace authgate::config {
namespace {

using testing::hasProblem;
using testing::kValidYaml;
using testing::problemsText;

TEST(EnvName, UppercasesSectionAndKey) {
  EXPECT_EQ(envName("provider.client_secret"), "AUTHGATE_PROVIDER_CLIENT_SECRET");
  EXPECT_EQ(envName("session.idle_timeout"), "AUTHGATE_SESSION_IDLE_TIMEOUT");
}

TEST(EnvName, EveryKeyHasADistinctVariable) {
  std::set<std::string> names;
  for (const auto& f : fields()) EXPECT_TRUE(names.insert(envName(f.key)).second) << f.key;
}

TEST(AuthgateEnv, OverridesTheFile) {
  auto r = loadYaml(kValidYaml, {{"AUTHGATE_PROVIDER_ISSUER", "https://other.example.com/"},
                                 {"AUTHGATE_SESSION_IDLE_TIMEOUT", "15m"},
                                 {"AUTHGATE_SERVER_MAX_BODY_BYTES", "4096"},
                                 {"AUTHGATE_UPSTREAM_PASS_ID_TOKEN", "true"}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.issuer, "https://other.example.com/");
  EXPECT_EQ(r.config.session.idle_timeout, Duration{900});
  EXPECT_EQ(r.config.server.max_body_bytes, 4096u);
  EXPECT_TRUE(r.config.upstream.pass_id_token);
}

TEST(AuthgateEnv, ListsAreCommaSeparatedOrFlow) {
  for (auto value : {"openid, email", "[openid,email]", "[\"openid\", 'email']"}) {
    auto r = loadYaml(kValidYaml, {{"AUTHGATE_PROVIDER_SCOPES", value}});
    EXPECT_EQ(r.config.provider.scopes, (std::vector<std::string>{"openid", "email"})) << value;
  }
}

TEST(AuthgateEnv, MapsAreYamlFlowMappings) {
  auto r = loadYaml(
      kValidYaml,
      {{"AUTHGATE_PROVIDER_EXTRA_AUTHORIZE_PARAMS", "{ui_locales: de, screen_hint: signup}"},
       {"AUTHGATE_ACCESS_REQUIRED_CLAIMS", "{roles: [admin, ops], org_id: org_1}"}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.extra_authorize_params.at("ui_locales"), "de");
  EXPECT_EQ(r.config.provider.extra_authorize_params.at("screen_hint"), "signup");
  EXPECT_EQ(r.config.access.required_claims.at("roles"),
            (std::vector<std::string>{"admin", "ops"}));
  EXPECT_EQ(r.config.access.required_claims.at("org_id"), std::vector<std::string>{"org_1"});
}

TEST(AuthgateEnv, BadMapIsAProblemNamingTheVariable) {
  auto r = loadYaml(kValidYaml, {{"AUTHGATE_PROVIDER_EXTRA_AUTHORIZE_PARAMS", "a=b"}});
  EXPECT_TRUE(hasProblem(r,
                         "AUTHGATE_PROVIDER_EXTRA_AUTHORIZE_PARAMS: expected a mapping like "
                         "{key: value}, got \"a=b\""))
      << problemsText(r);
}

TEST(AuthgateEnv, BadValueIsReportedUnderTheVariable) {
  auto r = loadYaml(
      kValidYaml, {{"AUTHGATE_SESSION_IDLE_TIMEOUT", "15x"}, {"AUTHGATE_SERVER_THREADS", "four"}});
  EXPECT_TRUE(hasProblem(
      r, "AUTHGATE_SESSION_IDLE_TIMEOUT: invalid duration \"15x\" (use 90s, 15m, 24h, 7d)"));
  EXPECT_TRUE(hasProblem(r, "AUTHGATE_SERVER_THREADS: expected an integer, got \"four\""));
  EXPECT_EQ(r.problems.size(), 2u) << problemsText(r);
}

TEST(AuthgateEnv, CheckedValueNamesTheVariableThatSetIt) {
  auto r = loadYaml(kValidYaml, {{"AUTHGATE_LOGOUT_IDP_LOGOUT", "always"}});
  EXPECT_TRUE(hasProblem(r,
                         "logout.idp_logout: \"always\" is not supported (use auto, auth0, "
                         "oidc or none) (from AUTHGATE_LOGOUT_IDP_LOGOUT)"))
      << problemsText(r);
}

TEST(AuthgateEnv, EmptyValueClearsAString) {
  auto r = loadYaml(std::string(kValidYaml) + "upstream: {url: 'http://127.0.0.1:9000'}\n",
                    {{"AUTHGATE_UPSTREAM_URL", ""}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.upstream.url, "");
}

TEST(AuthgateEnv, UnknownVariableOfAKnownSectionIsAProblem) {
  auto r = loadYaml(kValidYaml, {{"AUTHGATE_PROVIDER_CLIENTID", "x"}});
  EXPECT_TRUE(hasProblem(
      r, "AUTHGATE_PROVIDER_CLIENTID: unknown setting (did you mean AUTHGATE_PROVIDER_CLIENT_ID?)"))
      << problemsText(r);
}

TEST(AuthgateEnv, OtherVariablesAreIgnored) {
  auto r = loadYaml(kValidYaml, {{"AUTHGATE_BIN", "/usr/bin/authgate"},
                                 {"AUTHGATE_TEST_PORT", "1234"},
                                 {"HOME", "/root"},
                                 {"OIDC_SOMETHING_ELSE", "x"},
                                 {"AUTH0_MANAGEMENT_TOKEN", "x"}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
}

TEST(Precedence, FileThenOpenMetadataThenAuth0ThenAuthgate) {
  Environment env = {{"OIDC_CLIENT_ID", "from-openmetadata"},
                     {"AUTH0_CLIENT_ID", "from-auth0"},
                     {"AUTHGATE_PROVIDER_CLIENT_ID", "from-authgate"}};
  EXPECT_EQ(loadYaml(kValidYaml, env).config.provider.client_id, "from-authgate");
  env.erase("AUTHGATE_PROVIDER_CLIENT_ID");
  EXPECT_EQ(loadYaml(kValidYaml, env).config.provider.client_id, "from-auth0");
  env.erase("AUTH0_CLIENT_ID");
  EXPECT_EQ(loadYaml(kValidYaml, env).config.provider.client_id, "from-openmetadata");
  env.erase("OIDC_CLIENT_ID");
  EXPECT_EQ(loadYaml(kValidYaml, env).config.provider.client_id, "cid");
}

TEST(Precedence, IssuerFromEachFamily) {
  Environment env = {{"AUTHENTICATION_AUTHORITY", "https://om.auth0.com"},
                     {"AUTH0_DOMAIN", "a0.auth0.com"},
                     {"AUTHGATE_PROVIDER_ISSUER", "https://ag.example.com/"}};
  EXPECT_EQ(loadYaml(kValidYaml, env).config.provider.issuer, "https://ag.example.com/");
  env.erase("AUTHGATE_PROVIDER_ISSUER");
  EXPECT_EQ(loadYaml(kValidYaml, env).config.provider.issuer, "https://a0.auth0.com/");
  env.erase("AUTH0_DOMAIN");
  EXPECT_EQ(loadYaml(kValidYaml, env).config.provider.issuer, "https://om.auth0.com/");
}

TEST(Auth0Env, DomainIsNormalizedToTheIssuer) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"tenant.auth0.com", "https://tenant.auth0.com/"},
      {"https://tenant.auth0.com", "https://tenant.auth0.com/"},
      {"https://tenant.auth0.com/", "https://tenant.auth0.com/"},
      {"  TENANT.eu.auth0.com// ", "https://tenant.eu.auth0.com/"},
      {"login.example.com", "https://login.example.com/"},
      {"http://localhost:3000", "http://localhost:3000/"},
  };
  for (const auto& [domain, issuer] : cases) {
    auto r = loadYaml(kValidYaml, {{"AUTH0_DOMAIN", std::string(domain)}});
    EXPECT_EQ(r.config.provider.issuer, issuer) << domain;
    EXPECT_EQ(r.config.provider.type, "auth0") << domain;
    EXPECT_TRUE(r.ok()) << domain << "\n" << problemsText(r);
  }
}

TEST(Auth0Env, DomainWithPathOrOtherSchemeIsAProblem) {
  for (auto domain : {"https://tenant.auth0.com/path", "ftp://tenant.auth0.com", "a b.com",
                      "user@tenant.auth0.com"}) {
    auto r = loadYaml(kValidYaml, {{"AUTH0_DOMAIN", domain}});
    EXPECT_TRUE(hasProblem(r, "AUTH0_DOMAIN: expected a host name like TENANT.auth0.com, got"))
        << domain << "\n"
        << problemsText(r);
    EXPECT_EQ(r.config.provider.issuer, "https://tenant.auth0.com/") << "file value kept";
  }
}

TEST(Auth0Env, ShorthandsSetClientAndAudience) {
  auto r = loadYaml("", {{"AUTH0_DOMAIN", "tenant.auth0.com"},
                         {"AUTH0_CLIENT_ID", "abc"},
                         {"AUTH0_CLIENT_SECRET", "xyz"},
                         {"AUTH0_AUDIENCE", "https://api.example.com"}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.client_id, "abc");
  EXPECT_EQ(r.config.provider.client_secret.reveal(), "xyz");
  EXPECT_EQ(r.config.provider.audience, "https://api.example.com");
}

TEST(Auth0Env, EmptyShorthandIsIgnored) {
  auto r = loadYaml(kValidYaml, {{"AUTH0_CLIENT_ID", ""}, {"AUTH0_DOMAIN", "  "}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.client_id, "cid");
}

TEST(SecretPair, HigherLayerSecretReplacesLowerLayerFile) {
  testing::TempDir dir;
  const auto secretFile = dir.write("secret", "from-file\n");
  auto yaml = std::string(kValidYaml);
  yaml.replace(yaml.find("client_secret: \"sup3r-s3cret-value\""),
               std::string("client_secret: \"sup3r-s3cret-value\"").size(),
               "client_secret_file: \"" + secretFile + "\"");
  auto r = loadYaml(yaml, {{"AUTHGATE_PROVIDER_CLIENT_SECRET", "from-env"}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.client_secret.reveal(), "from-env");
  EXPECT_EQ(r.config.provider.client_secret_file, "");
}

}  // namespace
}  // namespace authgate::config
