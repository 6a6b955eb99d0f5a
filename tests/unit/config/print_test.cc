#include "config/print.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/load.h"
#include "config_test_util.h"

namespace authgate::config {
namespace {

TEST(PrintConfig, RedactsEverySecret) {
  auto r = loadYaml(
      testing::kValidYaml,
      {{"AUTHGATE_SESSION_STORE", "redis://user:redis-pa55@localhost:6379/0"},
       {"AUTHGATE_SESSION_ENCRYPTION_KEYS", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}});
  ASSERT_TRUE(r.ok()) << testing::problemsText(r);
  const auto text = printConfig(r.config);
  EXPECT_EQ(text.find("sup3r-s3cret-value"), std::string::npos) << text;
  EXPECT_EQ(text.find("redis-pa55"), std::string::npos) << text;
  EXPECT_EQ(text.find("AAAAAAAAAAAAAAAAAAAA"), std::string::npos) << text;
  EXPECT_NE(text.find("client_secret: \"[redacted]\""), std::string::npos) << text;
  EXPECT_NE(text.find("redis://user:[redacted]@localhost:6379/0"), std::string::npos) << text;
}

TEST(PrintConfig, RedactsBothSentinelPasswords) {
  auto r = loadYaml(
      testing::kValidYaml,
      {{"AUTHGATE_SESSION_STORE",
        "redis-sentinel://app:data-pa55@s1:26379,s2:26379/authgate/0"
        "?sentinel_user=watch&sentinel_password=sentinel-pa55"},
       {"AUTHGATE_SESSION_ENCRYPTION_KEYS", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}});
  ASSERT_TRUE(r.ok()) << testing::problemsText(r);
  const auto text = printConfig(r.config);
  EXPECT_EQ(text.find("data-pa55"), std::string::npos) << text;
  EXPECT_EQ(text.find("sentinel-pa55"), std::string::npos) << text;
  EXPECT_NE(text.find("redis-sentinel://app:[redacted]@s1:26379,s2:26379/authgate/0"
                      "?sentinel_user=watch&sentinel_password=[redacted]"),
            std::string::npos)
      << text;
}

TEST(PrintConfig, IsYamlWithEverySectionAndReadableValues) {
  auto r = loadYaml(testing::kValidYaml, {});
  const auto text = printConfig(r.config);
  YAML::Node root = YAML::Load(text);
  for (auto section : {"server", "provider", "session", "logout", "access", "upstream", "api"}) {
    EXPECT_TRUE(root[section].IsMap()) << section;
  }
  EXPECT_EQ(root["session"]["absolute_timeout"].as<std::string>(), "7d");
  EXPECT_EQ(root["provider"]["issuer"].as<std::string>(), "https://tenant.auth0.com/");
}

TEST(PrintConfig, EmptySecretPrintsEmpty) {
  Config c;
  const auto text = printConfig(c);
  EXPECT_NE(text.find("client_secret: \"\""), std::string::npos) << text;
}

TEST(RedactUrlPassword, ReplacesOnlyThePassword) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"redis://user:pw@host:6379/0", "redis://user:[redacted]@host:6379/0"},
      {"redis://:pw@host", "redis://:[redacted]@host"},
      {"redis://user@host", "redis://user@host"},
      {"redis://host:6379/0", "redis://host:6379/0"},
      {"redis-sentinel://u:pw@a:1,b:2/m/0", "redis-sentinel://u:[redacted]@a:1,b:2/m/0"},
      {"https://app.example.com/a@b:c", "https://app.example.com/a@b:c"},
      {"postgres://u:pw@db:5432/authgate?sslmode=require",
       "postgres://u:[redacted]@db:5432/authgate?sslmode=require"},
      {"postgresql://u@db/a?sslmode=verify-full&password=pw&application_name=x",
       "postgresql://u@db/a?sslmode=verify-full&password=[redacted]&application_name=x"},
      {"postgres://db/a?password=pw", "postgres://db/a?password=[redacted]"},
      // Sentinel credentials: the data nodes' in the userinfo, the sentinels' in the query.
      {"redis-sentinel://u:pw@a:1,b:2/m/"
       "0?sentinel_user=watch&sentinel_password=spw&wait_replicas=0",
       "redis-sentinel://u:[redacted]@a:1,b:2/m/0?sentinel_user=watch&sentinel_password=[redacted]"
       "&wait_replicas=0"},
      {"redis-sentinel://a,b/m?sentinel_password=s%26pw",
       "redis-sentinel://a,b/m?sentinel_password=[redacted]"},
      {"redis-sentinel://a/m?wait_timeout_ms=5&sentinel_password=p#w",
       "redis-sentinel://a/m?wait_timeout_ms=5&sentinel_password=[redacted]"},
      {"redis-sentinel://a/m?flag&sentinel_password=pw",
       "redis-sentinel://a/m?flag&sentinel_password=[redacted]"},
      // The Redis parsers end the credentials at the last '@': a password may hold / ? #.
      {"redis://:p/w@h:1/0", "redis://:[redacted]@h:1/0"},
      {"redis://u:p?w#x@h", "redis://u:[redacted]@h"},
      {"redis-sentinel://u:p/w#x@a:1/m?sentinel_password=q",
       "redis-sentinel://u:[redacted]@a:1/m?sentinel_password=[redacted]"},
      {"redis-sentinel://a:1/m?wait_replicas=1", "redis-sentinel://a:1/m?wait_replicas=1"},
      {"sqlite:authgate.db", "sqlite:authgate.db"},
      {"memory", "memory"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(redactUrlPassword(in), out) << in;
}

}  // namespace
}  // namespace authgate::config
