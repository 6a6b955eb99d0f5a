#include <gtest/gtest.h>

#include "config/environment.h"
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

TEST(MisspeltVariables, NameTheNearestKnownVariable) {
  const auto warnings = misspeltVariables({{"AUTHGATE_SESION_STORE", "memory"},
                                           {"AUTH0_CLIENTID", "x"},
                                           {"AUTH0_DOMIAN", "x"},
                                           {"AUTHGATE_ENV_FIEL", "x"}});
  ASSERT_EQ(warnings.size(), 4u);
  EXPECT_EQ(warnings[0].str(),
            "AUTH0_CLIENTID: unknown variable, ignored (did you mean AUTH0_CLIENT_ID?)");
  EXPECT_EQ(warnings[1].str(),
            "AUTH0_DOMIAN: unknown variable, ignored (did you mean AUTH0_DOMAIN?)");
  EXPECT_EQ(warnings[2].str(),
            "AUTHGATE_ENV_FIEL: unknown variable, ignored (did you mean AUTHGATE_ENV_FILE?)");
  EXPECT_EQ(warnings[3].str(),
            "AUTHGATE_SESION_STORE: unknown variable, ignored (did you mean "
            "AUTHGATE_SESSION_STORE?)");
}

TEST(MisspeltVariables, ATwoLetterGapIsStillNamedAndALongNameIsNot) {
  // The suggestion skips candidates whose length alone puts them 3 or more edits away:
  // two missing letters still match, a name far longer than any known one does not.
  const auto warnings = misspeltVariables(
      {{"AUTHGATE_SESION_STOR", "memory"}, {"AUTHGATE_" + std::string(4000, 'X'), "x"}});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].str(),
            "AUTHGATE_SESION_STOR: unknown variable, ignored (did you mean "
            "AUTHGATE_SESSION_STORE?)");
}

TEST(MisspeltVariables, KnownAndFarAwayNamesAreQuiet) {
  EXPECT_TRUE(misspeltVariables({{"AUTHGATE_SESSION_STORE", "memory"},
                                 {"AUTH0_CLIENT_ID", "x"},
                                 {"AUTHGATE_BIN", "/usr/bin/authgate"},
                                 {"AUTH0_MANAGEMENT_TOKEN", "x"},
                                 {"OIDC_CLIENTID", "x"}})
                  .empty());
}

TEST(MisspeltVariables, KnownSectionTyposStayProblemsNotWarnings) {
  EXPECT_TRUE(misspeltVariables({{"AUTHGATE_PROVIDER_CLIENTID", "x"}}).empty());
  auto r = loadYaml(kValidYaml, {{"AUTHGATE_PROVIDER_CLIENTID", "x"}});
  EXPECT_TRUE(hasProblem(r, "AUTHGATE_PROVIDER_CLIENTID: unknown setting"));
}

// --- env files (docker compose's --env-file syntax) ---

Environment values(std::string_view text, const Environment& lookup = {}) {
  auto file = parseEnvFile(text, lookup);
  for (const auto& e : file.errors) ADD_FAILURE() << "line " << e.line << ": " << e.reason;
  return file.values;
}

TEST(EnvFile, TableOfValues) {
  struct Case {
    std::string_view line;
    std::string_view expected;
  };
  const Case cases[] = {
      {"A=1", "1"},
      {"A = 1", "1"},
      {"A= public", "public"},
      {"A=1   ", "1"},
      {"A=1\r", "1"},
      {"export A=1", "1"},
      {"A: 1", "1"},
      {"A=[admin]                 # john.doe from john.doe@example.com", "[admin]"},
      {"A=a#b", "a#b"},
      {"A= # only a comment", ""},
      {"A=", ""},
      {"A=\"\"", ""},
      {"A= \"\"", ""},
      {"A=''", ""},
      {"A=\"openid email profile\"", "openid email profile"},
      {"A= \"x # not a comment\"  # a comment", "x # not a comment"},
      {"A='${B} stays'", "${B} stays"},
      {"A=\"tab\\there \\\"q\\\" \\$B\"", "tab\there \"q\" $B"},
      {"A=${B}", "b"},
      {"A=$B-x", "b-x"},
      {"A=${UNSET:-default}", "default"},
      {"A=${EMPTY:-default}", "default"},
      {"A=${EMPTY-default}", ""},
      {"A=${B:-default}", "b"},
      {"A=${UNSET:-\"http://localhost:8585/callback\"}", "http://localhost:8585/callback"},
      {"A=\"${B}/x\"", "b/x"},
      {"A=${UNSET}", ""},
      {"A=$", "$"},
      {"A=a=b", "a=b"},
      {"A=[\"all\"]", "[\"all\"]"},
      {"A.b-c=1", "1"},
  };
  const Environment lookup{{"B", "b"}, {"EMPTY", ""}};
  for (const auto& c : cases) {
    const auto env = values(c.line, lookup);
    ASSERT_EQ(env.size(), 1u) << c.line;
    EXPECT_EQ(env.begin()->first.substr(0, 1), "A") << c.line;
    EXPECT_EQ(env.begin()->second, c.expected) << c.line;
  }
}

TEST(EnvFile, CommentsBlankLinesAndEarlierLines) {
  const auto env =
      values("# comment\n\n   # indented comment\nA=1\nB=${A}2\n\nC='multi\nline'\nD=4\n");
  EXPECT_EQ(env, (Environment{{"A", "1"}, {"B", "12"}, {"C", "multi\nline"}, {"D", "4"}}));
}

TEST(EnvFile, LaterLineReplacesEarlier) { EXPECT_EQ(values("A=1\nA=2\n").at("A"), "2"); }

TEST(EnvFile, BareNameTakesTheEnvironmentsValue) {
  EXPECT_EQ(values("A\nB\n", {{"A", "from-env"}}), (Environment{{"A", "from-env"}}));
}

TEST(EnvFile, BadLinesAreErrorsWithLineNumbersAndNoValues) {
  auto file = parseEnvFile("A=1\nconfidential command\nB=\"never closed\nC=2\n");
  ASSERT_EQ(file.errors.size(), 2u);
  EXPECT_EQ(file.errors[0].line, 2u);
  EXPECT_EQ(file.errors[0].reason, "expected = after confidential");
  EXPECT_EQ(file.errors[1].line, 3u);
  EXPECT_EQ(file.errors[1].reason, "unterminated quote in the value of B");
  EXPECT_EQ(file.values.at("A"), "1");
  EXPECT_FALSE(file.values.contains("B"));
}

TEST(EnvFile, TextAfterAClosingQuoteIsAnError) {
  auto file = parseEnvFile("A=\"x\" y\n");
  ASSERT_EQ(file.errors.size(), 1u);
  EXPECT_EQ(file.errors[0].reason, "unexpected text after the quoted value of A");
}

TEST(EnvFiles, LaterFileWinsAndTheProcessWinsOverFiles) {
  testing::TempDir dir;
  const auto a = dir.write("a.env", "X=a\nY=a\nZ=a\n");
  const auto b = dir.write("b.env", "Y=b\nZ=b\nW=${Y}${X}\n");
  auto r = withEnvFiles({a, b}, {{"Z", "process"}});
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(r.env, (Environment{{"X", "a"}, {"Y", "b"}, {"Z", "process"}, {"W", "ba"}}));
}

TEST(EnvFiles, UnreadableFileAndBadLineAreNamed) {
  testing::TempDir dir;
  const auto bad = dir.write("bad.env", "A=1\nnot a line\n");
  auto r = withEnvFiles({dir.path() + "/missing.env", bad}, {});
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].first, dir.path() + "/missing.env");
  EXPECT_EQ(r.problems[0].second, "cannot read env file: No such file or directory");
  EXPECT_EQ(r.problems[1].first, bad + ":2");
}

TEST(EnvFiles, VariableListsPaths) {
  EXPECT_EQ(envFilesFromVariable({{"AUTHGATE_ENV_FILE", "a.env, b.env"}}),
            (std::vector<std::string>{"a.env", "b.env"}));
  EXPECT_TRUE(envFilesFromVariable({}).empty());
}

}  // namespace
}  // namespace authgate::config
