#include <gtest/gtest.h>

#include "config/load.h"
#include "config_test_util.h"

namespace authgate::config {
namespace {

using testing::hasProblem;
using testing::problemsText;
using testing::TempDir;

// The valid file with the inline secret replaced by `client_secret_file: PATH`.
std::string yamlWithSecretFile(const std::string& path) {
  return "provider: {issuer: 'https://tenant.auth0.com/', client_id: cid, client_secret_file: '" +
         path + "'}\nsession: {store: memory}\n";
}

TEST(SecretFile, ContentBecomesTheSecretWithoutOneTrailingNewline) {
  TempDir dir;
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"s3cret\n", "s3cret"},     {"s3cret", "s3cret"},       {"s3cret\r\n", "s3cret"},
      {"s3cret\n\n", "s3cret\n"}, {" spaced \n", " spaced "},
  };
  for (const auto& [content, secret] : cases) {
    const auto file = dir.write("secret", content);
    auto r = loadYaml(yamlWithSecretFile(file), {});
    ASSERT_TRUE(r.ok()) << problemsText(r);
    EXPECT_EQ(r.config.provider.client_secret.reveal(), secret);
  }
}

TEST(ClientPrivateKeyFile, IsReadVerbatimAndReplacesTheSecretRequirement) {
  TempDir dir;
  const std::string pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  const auto file = dir.write("client.pem", pem);
  auto r = loadYaml(
      "provider: {issuer: 'https://tenant.auth0.com/', client_id: cid, client_auth_method: "
      "private_key_jwt, client_private_key_file: '" +
          file + "', client_key_id: k1, client_signing_alg: PS256}\nsession: {store: memory}\n",
      {});
  ASSERT_TRUE(r.ok()) << problemsText(r);  // no client_secret needed
  EXPECT_EQ(r.config.provider.client_private_key.reveal(), pem);
  EXPECT_EQ(r.config.provider.client_signing_alg, "PS256");
  EXPECT_EQ(r.config.provider.client_key_id, "k1");
  auto missing = loadYaml(
      "provider: {issuer: 'https://tenant.auth0.com/', client_id: cid, client_auth_method: "
      "private_key_jwt, client_private_key_file: '" +
          dir.path() + "/nope.pem'}\nsession: {store: memory}\n",
      {});
  EXPECT_TRUE(hasProblem(missing, "provider.client_private_key_file")) << problemsText(missing);
}

TEST(RequestObjectSigningKeyFile, IsReadVerbatimAndMayNotBeTheClientKey) {
  TempDir dir;
  const std::string pem = "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n";
  const auto jar = dir.write("jar.pem", pem);
  const auto client =
      dir.write("client.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  const auto yaml = [&](const std::string& jarFile) {
    return "provider: {issuer: 'https://tenant.auth0.com/', client_id: cid, client_auth_method: "
           "private_key_jwt, client_private_key_file: '" +
           client + "', signed_authorize_requests: true, request_object_signing_key_file: '" +
           jarFile +
           "', request_object_signing_alg: ES256, request_object_key_id: jar-1, "
           "pushed_authorization_requests: always}\nsession: {store: memory}\n";
  };
  auto r = loadYaml(yaml(jar), {});
  ASSERT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.request_object_signing_key.reveal(), pem);
  EXPECT_TRUE(r.config.provider.signed_authorize_requests);
  EXPECT_EQ(r.config.provider.request_object_signing_alg, "ES256");
  EXPECT_EQ(r.config.provider.request_object_key_id, "jar-1");
  EXPECT_EQ(r.config.provider.pushed_authorization_requests, "always");
  // The same file, or another file with the same key: refused (Auth0 needs two credentials).
  auto same = loadYaml(yaml(client), {});
  EXPECT_TRUE(hasProblem(same, "provider.request_object_signing_key_file")) << problemsText(same);
  const auto copy =
      dir.write("copy.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  auto copied = loadYaml(yaml(copy), {});
  EXPECT_TRUE(hasProblem(copied, "provider.request_object_signing_key_file"))
      << problemsText(copied);
  auto env =
      loadYaml(testing::kValidYaml, {{"AUTHGATE_PROVIDER_REQUEST_OBJECT_SIGNING_KEY_FILE", jar},
                                     {"AUTHGATE_PROVIDER_SIGNED_AUTHORIZE_REQUESTS", "true"},
                                     {"AUTHGATE_PROVIDER_PUSHED_AUTHORIZATION_REQUESTS", "never"}});
  ASSERT_TRUE(env.ok()) << problemsText(env);
  EXPECT_EQ(env.config.provider.request_object_signing_key.reveal(), pem);
  EXPECT_EQ(env.config.provider.pushed_authorization_requests, "never");
}

TEST(SecretFile, FromEnvironmentVariable) {
  TempDir dir;
  const auto file = dir.write("secret", "from-env-file\n");
  auto r = loadYaml(testing::kValidYaml, {{"AUTHGATE_PROVIDER_CLIENT_SECRET_FILE", file}});
  ASSERT_TRUE(r.ok()) << problemsText(r);
  EXPECT_EQ(r.config.provider.client_secret.reveal(), "from-env-file")
      << "a higher layer's file replaces the file's inline secret";
}

TEST(SecretFile, MissingFileIsAProblemNamingTheKey) {
  auto r = loadYaml(yamlWithSecretFile("/nonexistent/secret"), {});
  ASSERT_EQ(r.problems.size(), 1u) << problemsText(r);
  EXPECT_EQ(r.problems[0].str(),
            "provider.client_secret_file: cannot read \"/nonexistent/secret\": No such file or "
            "directory");
}

TEST(SecretFile, DirectoryIsAProblem) {
  TempDir dir;
  auto r = loadYaml(yamlWithSecretFile(dir.path()), {});
  EXPECT_TRUE(hasProblem(
      r, "provider.client_secret_file: cannot read \"" + dir.path() + "\": is a directory"))
      << problemsText(r);
}

TEST(SecretFile, EmptyFileIsAProblem) {
  TempDir dir;
  const auto file = dir.write("secret", "\n");
  auto r = loadYaml(yamlWithSecretFile(file), {});
  EXPECT_TRUE(hasProblem(r, "provider.client_secret_file: \"" + file + "\" is empty"));
}

TEST(SecretFile, HugeFileIsRejectedWithoutEchoingIt) {
  TempDir dir;
  const auto file = dir.write("secret", std::string(70000, 'z'));
  auto r = loadYaml(yamlWithSecretFile(file), {});
  EXPECT_TRUE(hasProblem(r, "is larger than 64 KiB")) << problemsText(r);
  EXPECT_EQ(problemsText(r).find("zzzz"), std::string::npos);
}

TEST(SecretFile, ProblemFromEnvironmentNamesTheVariable) {
  auto r = loadYaml(testing::kValidYaml,
                    {{"AUTHGATE_PROVIDER_CLIENT_SECRET_FILE", "/nonexistent/secret"}});
  EXPECT_TRUE(hasProblem(r, "provider.client_secret_file: cannot read \"/nonexistent/secret\""))
      << problemsText(r);
}

TEST(SecretFile, BothInlineAndFileInTheEnvironmentIsAProblem) {
  TempDir dir;
  const auto file = dir.write("secret", "x");
  auto r = loadYaml(testing::kValidYaml, {{"AUTHGATE_PROVIDER_CLIENT_SECRET", "y"},
                                          {"AUTHGATE_PROVIDER_CLIENT_SECRET_FILE", file}});
  EXPECT_TRUE(hasProblem(r,
                         "provider.client_secret: set together with "
                         "provider.client_secret_file; use only one"))
      << problemsText(r);
}

TEST(EncryptionKeyFile, ValidatesEachKeyWithoutPrintingIt) {
  TempDir dir;
  const std::string good = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";  // 32 zero bytes
  const auto ok = dir.write("keys", "# newest first\n" + good + "\n\n" + good + "\n");
  auto r = loadYaml(testing::kValidYaml, {{"AUTHGATE_SESSION_ENCRYPTION_KEY_FILE", ok}});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  const auto bad = dir.write("bad", good + "\nnot-a-key-at-all\n");
  auto b = loadYaml(testing::kValidYaml, {{"AUTHGATE_SESSION_ENCRYPTION_KEY_FILE", bad}});
  EXPECT_TRUE(hasProblem(b, "session.encryption_key_file: line 2 is not 32 bytes in base64url"))
      << problemsText(b);
  EXPECT_EQ(problemsText(b).find("not-a-key-at-all"), std::string::npos);
  const auto empty = dir.write("empty", "\n");
  auto e = loadYaml(testing::kValidYaml, {{"AUTHGATE_SESSION_ENCRYPTION_KEY_FILE", empty}});
  EXPECT_TRUE(hasProblem(e, "session.encryption_key_file: has no keys"));
}

// RFC 8705: the certificate and key are read at load; the TLS methods need them and
// replace the secret; one without the other is a problem.
TEST(TlsClientCertificate, FilesAreReadAndTheTlsMethodsNeedThem) {
  TempDir dir;
  const std::string cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  const std::string key = "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n";
  const auto certFile = dir.write("client.crt", cert);
  const auto keyFile = dir.write("client.key", key);
  const std::string head = "provider: {issuer: 'https://tenant.auth0.com/', client_id: cid, ";
  auto ok = loadYaml(head + "client_auth_method: tls_client_auth, tls_client_certificate_file: '" +
                         certFile + "', tls_client_key_file: '" + keyFile +
                         "'}\nsession: {store: memory}\n",
                     {});
  ASSERT_TRUE(ok.ok()) << problemsText(ok);  // no client_secret needed
  EXPECT_EQ(ok.config.provider.tls_client_certificate, cert);
  EXPECT_EQ(ok.config.provider.tls_client_key.reveal(), key);

  auto noCert = loadYaml(
      head + "client_auth_method: self_signed_tls_client_auth}\nsession: {store: memory}\n", {});
  EXPECT_TRUE(hasProblem(noCert,
                         "provider.tls_client_certificate_file: required with "
                         "self_signed_tls_client_auth"))
      << problemsText(noCert);
  auto certOnly = loadYaml(head + "client_secret: s, tls_client_certificate_file: '" + certFile +
                               "'}\nsession: {store: memory}\n",
                           {});
  EXPECT_TRUE(hasProblem(certOnly, "provider.tls_client_key_file: set provider."))
      << problemsText(certOnly);
}

// RFC 9449: the key file only with dpop; a DPoP-bound token is never passed upstream.
TEST(Dpop, KeyFileNeedsDpopAndForwardAuthCannotPassTheToken) {
  TempDir dir;
  const auto keyFile =
      dir.write("dpop.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  const std::string head =
      "provider: {issuer: 'https://tenant.auth0.com/', client_id: cid, client_secret: s, ";
  auto ok = loadYaml(
      head + "dpop: true, dpop_key_file: '" + keyFile + "'}\nsession: {store: memory}\n", {});
  ASSERT_TRUE(ok.ok()) << problemsText(ok);
  EXPECT_TRUE(ok.config.provider.dpop);
  EXPECT_FALSE(ok.config.provider.dpop_key.empty());
  auto keyWithoutDpop =
      loadYaml(head + "dpop_key_file: '" + keyFile + "'}\nsession: {store: memory}\n", {});
  EXPECT_TRUE(hasProblem(keyWithoutDpop, "provider.dpop_key_file: set, but provider.dpop is false"))
      << problemsText(keyWithoutDpop);
  // Proxied upstreams get the token with a proof; forward auth alone cannot.
  auto upstream = loadYaml(head +
                               "dpop: true}\nsession: {store: memory}\n"
                               "upstream: {url: 'http://127.0.0.1:9', pass_access_token: true}\n",
                           {});
  EXPECT_TRUE(upstream.ok()) << problemsText(upstream);
  auto route = loadYaml(head +
                            "dpop: true}\nsession: {store: memory}\n"
                            "routes: [{path: /api, upstream: 'http://127.0.0.1:9', "
                            "pass_access_token: true}]\n",
                        {});
  EXPECT_TRUE(route.ok()) << problemsText(route);
  auto forwardAuth = loadYaml(
      head + "dpop: true}\nsession: {store: memory}\nupstream: {pass_access_token: true}\n", {});
  EXPECT_TRUE(hasProblem(forwardAuth,
                         "upstream.pass_access_token: cannot be used with provider.dpop for "
                         "forward auth (/auth/check)"))
      << problemsText(forwardAuth);
  auto env = loadYaml(head + "client_auth_method: client_secret_post}\nsession: {store: memory}\n",
                      {{"AUTHGATE_PROVIDER_DPOP", "true"}});
  ASSERT_TRUE(env.ok()) << problemsText(env);
  EXPECT_TRUE(env.config.provider.dpop);
}

}  // namespace
}  // namespace authgate::config
