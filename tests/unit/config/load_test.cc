#include "config/load.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config_test_util.h"

namespace authgate::config {
namespace {

using testing::hasProblem;
using testing::kValidYaml;
using testing::problemsText;

// kValidYaml with `key` (section.name) set to `value`, written as YAML.
std::string withValue(std::string_view key, std::string_view value) {
  YAML::Node root = YAML::Load(std::string(kValidYaml));
  const auto dot = key.find('.');
  root[std::string(key.substr(0, dot))][std::string(key.substr(dot + 1))] =
      YAML::Load(std::string(value));
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

TEST(LoadYaml, ValidFileHasNoProblems) {
  auto r = loadYaml(kValidYaml, {});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.issuer, "https://tenant.auth0.com/");
  EXPECT_EQ(r.config.provider.client_secret.reveal(), "sup3r-s3cret-value");
  EXPECT_EQ(r.config.session.store, "memory");
}

TEST(LoadYaml, DefaultsMatchTheContract) {
  auto r = loadYaml(kValidYaml, {});
  const auto& c = r.config;
  EXPECT_EQ(c.server.listen, "127.0.0.1:4180");
  EXPECT_EQ(c.provider.client_auth_method, "client_secret_basic");
  EXPECT_EQ(c.provider.scopes,
            (std::vector<std::string>{"openid", "profile", "email", "offline_access"}));
  EXPECT_EQ(c.provider.response_mode, "query");
  EXPECT_EQ(c.provider.clock_skew, Duration{60});
  EXPECT_EQ(c.provider.max_id_token_age, Duration{300});
  EXPECT_EQ(c.provider.id_token_algs, std::vector<std::string>{"RS256"});
  EXPECT_EQ(c.session.cookie_name, "authgate");
  EXPECT_EQ(c.session.idle_timeout, Duration{86400});
  EXPECT_EQ(c.session.absolute_timeout, Duration{604800});
  EXPECT_EQ(c.logout.idp_logout, "auto");
  EXPECT_EQ(c.logout.post_logout_redirect_url, "/");
}

TEST(LoadYaml, ReadsEveryValueKind) {
  auto r = loadYaml(R"(
server: { listen: "[::1]:8080", trusted_proxies: [10.0.0.0/8, "::1"], threads: 4,
          max_body_bytes: 2048, read_timeout: 90s }
provider: { issuer: "http://localhost:3000/", client_id: c, client_secret: s,
            scopes: [openid, email], max_age: 15m, clock_skew: 2m,
            id_token_algs: [RS256, ES256, EdDSA], extra_authorize_params: {screen_hint: signup} }
session: { store: "sqlite:/tmp/s.db", idle_timeout: 1h, absolute_timeout: 2d,
           encryption_keys: [AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA] }
access: { allowed_email_domains: [example.com], require_email_verified: yes,
          required_claims: {roles: [admin, ops], org_id: org_1} }
upstream: { url: "http://127.0.0.1:9000", pass_access_token: true }
api: { audiences: [https://api.example.com] }
)",
                    {});
  ASSERT_TRUE(r.ok()) << problemsText(r);
  const auto& c = r.config;
  EXPECT_EQ(c.server.listen, "[::1]:8080");
  EXPECT_EQ(c.server.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(c.server.threads, 4);
  EXPECT_EQ(c.server.max_body_bytes, 2048u);
  EXPECT_EQ(c.server.read_timeout, Duration{90});
  EXPECT_EQ(c.provider.max_age, 900);
  EXPECT_EQ(c.provider.clock_skew, Duration{120});
  EXPECT_EQ(c.provider.extra_authorize_params.at("screen_hint"), "signup");
  EXPECT_EQ(c.session.idle_timeout, Duration{3600});
  EXPECT_EQ(c.session.absolute_timeout, Duration{172800});
  ASSERT_EQ(c.session.encryption_keys.size(), 1u);
  EXPECT_TRUE(c.access.require_email_verified);
  EXPECT_EQ(c.access.required_claims.at("roles"), (std::vector<std::string>{"admin", "ops"}));
  EXPECT_EQ(c.access.required_claims.at("org_id"), std::vector<std::string>{"org_1"});
  EXPECT_TRUE(c.upstream.pass_access_token);
  EXPECT_EQ(c.api.audiences, std::vector<std::string>{"https://api.example.com"});
}

struct BadValue {
  std::string_view key;
  std::string_view yaml;      // the value as YAML text
  std::string_view expected;  // a substring of one `key: reason`
};

// Every bad value and the message it gets.
const BadValue kBadValues[] = {
    {"server.listen", "localhost", R"(server.listen: "localhost" has no port)"},
    {"server.listen", "'127.0.0.1:99999'",
     "server.listen: \"127.0.0.1:99999\" has an invalid port"},
    {"server.listen", "'::1:80'", "write IPv6 addresses in brackets"},
    {"server.listen", "'[zz]:80'", "server.listen: \"[zz]:80\" has an invalid IPv6 address"},
    {"server.listen", "'bad host:80'", "server.listen: \"bad host:80\" has an invalid host"},
    {"server.listen", "[a, b]", "server.listen: expected a string, got a list"},
    {"server.public_url", "app.example.com",
     "server.public_url: \"app.example.com\" is not an absolute URL"},
    {"server.public_url", "ftp://app.example.com", "is not an http(s) URL"},
    {"server.public_url", "'https://app.example.com/?a=1'", "must not have a ?query"},
    {"server.trusted_proxies", "[10.0.0.0/33]",
     "server.trusted_proxies: \"10.0.0.0/33\" is not an IP address or CIDR"},
    {"server.trusted_proxies", "[proxy.local]", "\"proxy.local\" is not an IP address or CIDR"},
    {"server.trusted_proxies", "10.0.0.1", "server.trusted_proxies: expected a list like [a, b]"},
    {"server.allowed_redirect_origins", "['https://a.example.com/path']",
     "server.allowed_redirect_origins: \"https://a.example.com/path\" is not an origin"},
    {"server.path_prefix", "auth/", "server.path_prefix: \"auth/\" must be empty or a path"},
    {"server.path_prefix", "/auth/", "must be empty or a path like /auth"},
    {"server.threads", "-1", "server.threads: must be 0 (one per core) or more"},
    {"server.threads", "many", "server.threads: expected an integer, got \"many\""},
    {"server.max_header_bytes", "0", "server.max_header_bytes: must be positive"},
    {"server.max_body_bytes", "-5", "server.max_body_bytes: expected a non-negative integer"},
    {"server.read_timeout", "0s", "server.read_timeout: must be positive"},
    {"server.idle_timeout", "1.5m", "server.idle_timeout: invalid duration \"1.5m\""},
    {"server.log_level", "verbose", "server.log_level: \"verbose\" is not a log level"},
    {"provider.type", "ldap", "provider.type: \"ldap\" is not an OpenID Connect provider"},
    {"provider.issuer", "''", "provider.issuer: required"},
    {"provider.issuer", "tenant.auth0.com",
     "provider.issuer: \"tenant.auth0.com\" is not an absolute URL"},
    {"provider.issuer", "http://tenant.auth0.com/",
     "provider.issuer: \"http://tenant.auth0.com/\" must use https (http is allowed only for "
     "localhost)"},
    {"provider.issuer", "'https://tenant.auth0.com/?x=1'", "must not have a ?query"},
    {"provider.issuer", "'https://tenant.auth0.com/#x'", "must not have a #fragment"},
    {"provider.issuer", "'https://u:p@tenant.auth0.com/'", "must not contain user:password@"},
    {"provider.discovery_url", "http://idp.example.com/.well-known/openid-configuration",
     "provider.discovery_url: \"http://idp.example.com/.well-known/openid-configuration\" must "
     "use https"},
    {"provider.client_id", "''", "provider.client_id: required"},
    {"provider.client_secret", "''", "provider.client_secret: required"},
    {"provider.client_auth_method", "none",
     "provider.client_auth_method: \"none\" is not supported (use client_secret_basic, "
     "client_secret_post, client_secret_jwt, private_key_jwt, tls_client_auth or "
     "self_signed_tls_client_auth)"},
    {"provider.client_auth_method", "tls_client_auth",
     "provider.tls_client_certificate_file: required with tls_client_auth"},
    {"provider.client_auth_method", "client_secret_jwt",
     "provider.client_secret: client_secret_jwt signs with HS256, which needs a secret of at "
     "least 32 bytes"},
    {"provider.client_auth_method", "private_key_jwt",
     "provider.client_private_key_file: required with private_key_jwt"},
    {"provider.client_signing_alg", "HS256",
     "provider.client_signing_alg: \"HS256\" is not supported (use RS256, PS256 or ES256)"},
    {"provider.pushed_authorization_requests", "sometimes",
     "provider.pushed_authorization_requests: \"sometimes\" is not supported (use auto, always "
     "or never)"},
    {"provider.signed_authorize_requests", "true",
     "provider.request_object_signing_key_file: required with "
     "provider.signed_authorize_requests"},
    {"provider.request_object_signing_alg", "HS256",
     "provider.request_object_signing_alg: \"HS256\" is not supported (use RS256, PS256 or "
     "ES256)"},
    {"provider.scopes", "[profile, email]", "provider.scopes: must include openid"},
    {"provider.scopes", "openid", "provider.scopes: expected a list like [a, b], got a scalar"},
    {"provider.scopes", "[openid, 'a b']", "provider.scopes: \"a b\" is not a valid scope"},
    {"provider.callback_url", "/callback", "provider.callback_url: \"/callback\" is not an"},
    {"provider.callback_url", "'https://app.example.com/cb#x'",
     "provider.callback_url: \"https://app.example.com/cb#x\" must not have a #fragment"},
    {"provider.response_mode", "fragment",
     "provider.response_mode: \"fragment\" is not supported (use query or form_post)"},
    {"provider.prompt", "always", "provider.prompt: \"always\" is not a prompt value"},
    {"provider.max_age", "-2", "provider.max_age: expected -1 (not sent), seconds or a duration"},
    {"provider.max_age", "soon", "provider.max_age: invalid duration \"soon\""},
    {"provider.clock_skew", "10m", "provider.clock_skew: 10m is too large (at most 5m)"},
    {"provider.clock_skew", "60",
     "provider.clock_skew: invalid duration \"60\" (use 90s, 15m, "
     "24h, 7d)"},
    {"provider.max_id_token_age", "5s",
     "provider.max_id_token_age: 5s is out of range (10s to 1h)"},
    {"provider.max_id_token_age", "2h",
     "provider.max_id_token_age: 2h is out of range (10s to 1h)"},
    {"provider.id_token_algs", "[none]",
     "provider.id_token_algs: \"none\" is never accepted: ID tokens must be signed"},
    {"provider.id_token_algs", "[RS257]", "provider.id_token_algs: \"RS257\" is not a supported"},
    {"provider.id_token_algs", "[]", "provider.id_token_algs: must not be empty"},
    {"provider.extra_authorize_params", "{state: x}",
     "provider.extra_authorize_params: \"state\" is set by authgate itself"},
    {"provider.extra_authorize_params", "{code_challenge_method: plain}",
     "\"code_challenge_method\" is set by authgate itself"},
    {"provider.extra_authorize_params", "{audience: x}",
     "provider.extra_authorize_params: \"audience\" has its own key: use provider.audience"},
    {"provider.extra_authorize_params", "[a]",
     "provider.extra_authorize_params: expected a mapping like {key: value}, got a list"},
    {"provider.extra_authorize_params", "{a: [b]}",
     "provider.extra_authorize_params: a: expected a string, got a list"},
    {"provider.jwks_urls", "[not-a-url]", "provider.jwks_urls: \"not-a-url\" is not an absolute"},
    {"provider.jwks_urls", "[[a]]", "provider.jwks_urls: every item must be a string, got a list"},
    {"provider.use_pkce", "false", "provider.use_pkce: PKCE (S256) is always used"},
    {"provider.use_pkce", "maybe", "provider.use_pkce: expected true or false, got \"maybe\""},
    {"provider.ca_file", "/nonexistent/ca.pem",
     "provider.ca_file: cannot read \"/nonexistent/ca.pem\""},
    {"provider.connect_timeout", "0s", "provider.connect_timeout: must be positive"},
    {"provider.http_timeout", "0s", "provider.http_timeout: must be positive"},
    {"session.store", "'mysql://db/x'",
     "session.store: unknown store (use sqlite:PATH, redis://host:port/db, "
     "redis-sentinel://host:port,.../MASTER_NAME, postgres://host:port/db or memory)"},
    {"session.store", "'postgres://db/x y'",
     "session.store: must look like postgres://[user:pass@]host[:port]/db[?sslmode=...]"},
    {"session.store", "'redis-sentinel://h:26379'",
     "session.store: must look like redis-sentinel://[user:pass@]host:port"},
    {"session.store", "'redis-sentinel://:pw@h:26379/'",
     "session.store: must look like redis-sentinel://"},
    {"session.store", "'sqlite:'", "session.store: sqlite: needs a path"},
    {"session.store", "'redis://:pw@/0'", "session.store: must look like redis://"},
    {"session.store", "'redis://host:6379/x'",
     "session.store: must look like redis://[user:pass@]"
     "host:port/db (db is a number)"},
    {"session.cookie_name", "'my cookie'",
     "session.cookie_name: \"my cookie\" is not a valid cookie name (RFC 6265 s4.1.1)"},
    {"session.cookie_name", "'a;b'", "is not a valid cookie name"},
    {"session.idle_timeout", "15x",
     "session.idle_timeout: invalid duration \"15x\" (use 90s, 15m, 24h, 7d)"},
    {"session.idle_timeout", "-5m",
     "session.idle_timeout: negative duration \"-5m\" is not "
     "allowed"},
    {"session.idle_timeout", "''", "session.idle_timeout: empty duration (use 90s, 15m, 24h, 7d)"},
    {"session.idle_timeout", "", "session.idle_timeout: empty duration"},
    {"session.idle_timeout", "99999999999999999999999d",
     "session.idle_timeout: duration \"99999999999999999999999d\" is too large (at most 3650d)"},
    {"session.idle_timeout", "8d",
     "session.idle_timeout: 8d is longer than session.absolute_timeout (7d)"},
    {"session.idle_timeout", "{a: 1}",
     "session.idle_timeout: expected a duration like 90s, 15m, "
     "24h, 7d, got a mapping"},
    {"session.absolute_timeout", "0s", "session.absolute_timeout: must be positive"},
    {"session.max_per_user", "-1", "session.max_per_user: must be 0 (unlimited) or more"},
    {"session.encryption_keys", "[short]",
     "session.encryption_keys: key 1 is not 32 bytes in base64url"},
    {"session.encryption_key_file", "/nonexistent/keys",
     "session.encryption_key_file: cannot read \"/nonexistent/keys\""},
    {"session.refresh_before_expiry", "soon", "session.refresh_before_expiry: invalid duration"},
    {"logout.idp_logout", "always",
     "logout.idp_logout: \"always\" is not supported (use auto, auth0, oidc or none)"},
    {"logout.post_logout_redirect_url", "//evil.example.com",
     "logout.post_logout_redirect_url: \"//evil.example.com\" must be a path like / or an "
     "absolute http(s) URL"},
    {"logout.post_logout_redirect_url", "''", "logout.post_logout_redirect_url: \"\" must be"},
    {"access.allowed_email_domains", "[example..com]",
     "access.allowed_email_domains: \"example..com\" is not a domain name"},
    {"access.allowed_email_domains", "['@example.com']", "\"@example.com\" is not a domain name"},
    {"access.allowed_emails", "[not-an-email]",
     "access.allowed_emails: \"not-an-email\" is not an email address"},
    {"access.admin_emails", "['admin@']", "access.admin_emails: \"admin@\" is not an email"},
    {"access.admin_emails", "['a b@example.com']", "\"a b@example.com\" is not an email"},
    {"access.require_email_verified", "sometimes",
     "access.require_email_verified: expected true or false, got \"sometimes\""},
    {"access.jwt_principal_claims", "[]", "access.jwt_principal_claims: must name at least one"},
    {"access.required_claims", "{roles: []}",
     "access.required_claims: \"roles\" lists no accepted values"},
    {"access.required_claims", "{roles: {a: b}}",
     "access.required_claims: roles: expected a string or a list, got a mapping"},
    {"upstream.url", "'localhost:8080'", "upstream.url: \"localhost:8080\" is not an http(s) URL"},
    {"upstream.url", "'http://'", "upstream.url: \"http://\" has no host"},
    {"upstream.timeout", "0s", "upstream.timeout: must be positive"},
    {"api.audiences", "['']", "api.audiences: empty audience"},
};

TEST(LoadYaml, ReportsEachBadValueWithItsMessage) {
  for (const auto& c : kBadValues) {
    auto r = loadYaml(withValue(c.key, c.yaml), {});
    EXPECT_TRUE(hasProblem(r, c.expected))
        << c.key << " = " << c.yaml << "\nexpected: " << c.expected << "\ngot:\n"
        << problemsText(r);
  }
}

TEST(LoadYaml, ReasonsNeverContainTheClientSecret) {
  for (const auto& c : kBadValues) {
    auto r = loadYaml(withValue(c.key, c.yaml), {});
    EXPECT_EQ(problemsText(r).find("sup3r-s3cret-value"), std::string::npos) << c.key;
  }
}

TEST(LoadYaml, ReportsEveryProblemAtOnce) {
  auto r = loadYaml(R"(
server: { lisen: "x", public_url: nope }
provider: { issuer: "http://idp.example.com/", client_id: "", client_secret: s,
            id_token_algs: [none] }
session: { idle_timeout: 15x, store: bogus }
logout: { idp_logout: always }
)",
                    {});
  EXPECT_TRUE(hasProblem(r, "server.lisen: unknown key (did you mean server.listen?)"));
  EXPECT_TRUE(hasProblem(r, "server.public_url: \"nope\" is not an absolute URL"));
  EXPECT_TRUE(hasProblem(r, "provider.issuer: \"http://idp.example.com/\" must use https"));
  EXPECT_TRUE(hasProblem(r, "provider.client_id: required"));
  EXPECT_TRUE(hasProblem(r, "provider.id_token_algs: \"none\" is never accepted"));
  EXPECT_TRUE(hasProblem(r, "session.idle_timeout: invalid duration \"15x\""));
  EXPECT_TRUE(hasProblem(r, "session.store: unknown store"));
  EXPECT_TRUE(hasProblem(r, "logout.idp_logout: \"always\" is not supported"));
  EXPECT_EQ(r.problems.size(), 8u) << problemsText(r);
}

TEST(LoadYaml, UnknownSectionSuggestsTheClosestOne) {
  auto r = loadYaml(std::string(kValidYaml) + "sever: {listen: x}\n", {});
  EXPECT_TRUE(hasProblem(r, "sever: unknown section (did you mean server?)")) << problemsText(r);
}

TEST(LoadYaml, UnknownKeyFarFromAnyHasNoSuggestion) {
  auto r = loadYaml(std::string(kValidYaml) + "api: {completely_different: 1}\n", {});
  ASSERT_EQ(r.problems.size(), 1u) << problemsText(r);
  EXPECT_EQ(r.problems[0].str(), "api.completely_different: unknown key");
}

TEST(LoadYaml, SectionMustBeAMapping) {
  auto r = loadYaml("server: 5\n", {});
  EXPECT_TRUE(hasProblem(r, "server: expected a mapping of keys, got a scalar")) << problemsText(r);
}

TEST(LoadYaml, TopLevelMustBeAMapping) {
  auto r = loadYaml("- a\n- b\n", {}, "/etc/authgate.yaml");
  EXPECT_TRUE(hasProblem(r, "/etc/authgate.yaml: expected a mapping of sections"))
      << problemsText(r);
}

TEST(LoadYaml, SyntaxErrorNamesLineAndColumn) {
  auto r = loadYaml("server:\n  listen: [unclosed\n", {}, "f.yaml");
  ASSERT_EQ(r.problems.size(), 1u) << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "f.yaml: YAML syntax error at line ")) << problemsText(r);
}

TEST(LoadYaml, EmptyFileMeansDefaults) {
  auto r = loadYaml("", {});
  EXPECT_EQ(r.config.server.listen, "127.0.0.1:4180");
  EXPECT_TRUE(hasProblem(r, "provider.issuer: required"));
}

TEST(LoadYaml, NullValuesClearListsAndStrings) {
  auto r = loadYaml(std::string(kValidYaml) + "api: {audiences: }\nupstream: {url: ~}\n", {});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_TRUE(r.config.api.audiences.empty());
}

TEST(LoadYaml, ClientSecretAndItsFileTogetherIsAProblem) {
  auto r = loadYaml(withValue("provider.client_secret_file", "/run/secrets/x"), {});
  EXPECT_TRUE(hasProblem(
      r, "provider.client_secret: set together with provider.client_secret_file; use only one"))
      << problemsText(r);
}

TEST(LoadYaml, InlineKeysAndKeyFileTogetherIsAProblem) {
  auto yaml = withValue("session.encryption_key_file", "/run/secrets/keys");
  YAML::Node root = YAML::Load(yaml);
  root["session"]["encryption_keys"] = YAML::Load("[AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA]");
  YAML::Emitter out;
  out << root;
  auto r = loadYaml(out.c_str(), {});
  EXPECT_TRUE(hasProblem(r,
                         "session.encryption_keys: set together with "
                         "session.encryption_key_file; use only one"))
      << problemsText(r);
}

TEST(DeriveDefaults, CallbackFromPublicUrlAndPrefix) {
  auto r = loadYaml(withValue("server.public_url", "https://app.example.com/"), {});
  EXPECT_EQ(r.config.provider.callback_url, "https://app.example.com/auth/callback");
  EXPECT_EQ(r.config.provider.discovery_url,
            "https://tenant.auth0.com/.well-known/openid-configuration");
}

TEST(DeriveDefaults, CallbackFromListenWhenNoPublicUrl) {
  auto r = loadYaml(withValue("server.public_url", "''"), {});
  EXPECT_EQ(r.config.provider.callback_url, "http://127.0.0.1:4180/auth/callback");
  Config c;
  c.server.listen = "0.0.0.0:8080";
  c.server.path_prefix = "";
  deriveDefaults(c);
  EXPECT_EQ(c.provider.callback_url, "http://localhost:8080/callback");
}

TEST(DeriveDefaults, ExplicitCallbackIsKept) {
  auto r = loadYaml(withValue("provider.callback_url", "https://cb.example.com/callback"), {});
  EXPECT_EQ(r.config.provider.callback_url, "https://cb.example.com/callback");
}

TEST(DeriveDefaults, LoopbackIssuerMayUseHttp) {
  for (auto issuer : {"http://localhost:3000/", "http://127.0.0.1:3000", "http://[::1]:3000/"}) {
    auto r = loadYaml(withValue("provider.issuer", issuer), {});
    EXPECT_TRUE(r.ok()) << issuer << "\n" << problemsText(r);
  }
}

TEST(Load, MissingFileIsAProblemNamingIt) {
  auto r = load("/nonexistent/authgate.yaml", {});
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].str(),
            "/nonexistent/authgate.yaml: cannot read: No such file or "
            "directory");
}

TEST(Load, ReadsTheFileAndRecordsItsSource) {
  testing::TempDir dir;
  const auto file = dir.write("authgate.yaml", kValidYaml);
  auto r = load(file, {});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.source, file);
}

TEST(Load, EmptyFileNameMeansDefaultsAndEnvironment) {
  auto r = load("", {{"AUTH0_DOMAIN", "tenant.auth0.com"},
                     {"AUTH0_CLIENT_ID", "cid"},
                     {"AUTH0_CLIENT_SECRET", "s"}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.source, "");
}

}  // namespace
}  // namespace authgate::config

namespace authgate::config {
namespace {

TEST(LoadYaml, KeySetTwiceIsAProblem) {
  auto r =
      loadYaml(std::string(kValidYaml) + "logout:\n  idp_logout: none\n  idp_logout: auto\n", {});
  EXPECT_TRUE(hasProblem(r, "logout.idp_logout: set more than once in the file"))
      << problemsText(r);
}

TEST(LoadEnv, MaxIdTokenAgeHasItsVariable) {
  auto r = loadYaml(kValidYaml, {{"AUTHGATE_PROVIDER_MAX_ID_TOKEN_AGE", "2m"}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.max_id_token_age, Duration{120});
}

TEST(ExampleFile, LoadsWithTheSecretFromTheEnvironment) {
  auto r = load(AUTHGATE_EXAMPLES_DIR "/authgate.example.yaml",
                {{"AUTHGATE_PROVIDER_CLIENT_SECRET", "example-secret"}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.issuer, "https://example-tenant.us.auth0.com/");
}

}  // namespace
}  // namespace authgate::config
