#include "config/reload.h"

#include <gtest/gtest.h>

#include <string>

#include "config/load.h"
#include "config_test_util.h"

namespace authgate::config {
namespace {

using testing::kValidYaml;
using testing::problemsText;

Config loaded(std::string_view extra) {
  auto r = loadYaml(std::string(kValidYaml) + std::string(extra), {});
  EXPECT_TRUE(r.ok()) << problemsText(r);
  return r.config;
}

constexpr std::string_view kRoutes = R"(routes:
  - path: /
    upstream: http://127.0.0.1:9000
)";

TEST(Reload, SameSettingsNeedNoRestart) {
  const auto running = loaded(kRoutes);
  auto plan = planReload(running, running);
  EXPECT_TRUE(plan.needs_restart.empty());
}

TEST(Reload, RoutesAccessAndProviderApplyWithoutRestart) {
  const auto running = loaded(kRoutes);
  auto next = loaded(std::string(kRoutes) + R"(  - path: /health
    public: true
    upstream: http://127.0.0.1:9001
access:
  allowed_emails: [a@example.com]
)");
  next.provider.client_id = "other";
  auto plan = planReload(running, next);
  EXPECT_TRUE(plan.needs_restart.empty());
  ASSERT_EQ(plan.config.routes.size(), 2u);
  EXPECT_TRUE(plan.config.routes[1].is_public);
  EXPECT_EQ(plan.config.access.allowed_emails, std::vector<std::string>{"a@example.com"});
  EXPECT_EQ(plan.config.provider.client_id, "other");
}

TEST(Reload, RestartOnlySettingsKeepTheirRunningValueAndAreNamed) {
  const auto running = loaded(kRoutes);
  auto next = running;
  next.server.listen = "127.0.0.1:9999";
  next.server.threads = 7;
  next.session.store = "sqlite:/tmp/other.db";
  next.session.encryption_keys.emplace_back(std::string(43, 'A'));
  next.upstream.timeout = Duration{5};
  next.access.allowed_emails = {"b@example.com"};  // applies
  auto plan = planReload(running, next);
  EXPECT_EQ(plan.needs_restart,
            (std::vector<std::string>{"server.listen", "server.threads", "upstream.timeout",
                                      "session.store", "session.encryption_keys"}));
  EXPECT_EQ(plan.config.server.listen, running.server.listen);
  EXPECT_EQ(plan.config.server.threads, running.server.threads);
  EXPECT_EQ(plan.config.session.store, running.session.store);
  EXPECT_TRUE(plan.config.session.encryption_keys.empty());
  EXPECT_EQ(plan.config.upstream.timeout, running.upstream.timeout);
  EXPECT_EQ(plan.config.access.allowed_emails, std::vector<std::string>{"b@example.com"});
}

TEST(Reload, DerivedCallbackFollowsTheKeptPublicUrl) {
  const auto running = loaded(kRoutes);
  ASSERT_EQ(running.provider.callback_url, "https://app.example.com/auth/callback");
  // What load() gives for a file with another public_url and no callback_url.
  auto next = running;
  next.server.public_url = "https://other.example.com";
  next.provider.callback_url.clear();
  deriveDefaults(next);
  ASSERT_EQ(next.provider.callback_url, "https://other.example.com/auth/callback");
  auto plan = planReload(running, next);
  EXPECT_EQ(plan.needs_restart, std::vector<std::string>{"server.public_url"});
  EXPECT_EQ(plan.config.provider.callback_url, "https://app.example.com/auth/callback");
}

TEST(Reload, AnExplicitCallbackIsKept) {
  const auto running = loaded(kRoutes);
  auto next = running;
  next.server.public_url = "https://other.example.com";
  next.provider.callback_url = "https://login.example.com/cb";
  auto plan = planReload(running, next);
  EXPECT_EQ(plan.config.provider.callback_url, "https://login.example.com/cb");
}

TEST(Reload, TurningTheProxyOnNeedsARestart) {
  const auto running = loaded("");
  const auto next = loaded(kRoutes);
  auto plan = planReload(running, next);
  EXPECT_EQ(plan.needs_restart, std::vector<std::string>{"routes"});
  EXPECT_TRUE(plan.config.routes.empty());
  // ...and off.
  auto back = planReload(next, running);
  EXPECT_EQ(back.needs_restart, std::vector<std::string>{"routes"});
  EXPECT_EQ(back.config.routes.size(), 1u);
}

TEST(Reload, OpenMetadataAliasesNeedARestart) {
  const auto running = loaded("");
  const auto next = loaded("compat:\n  openmetadata_aliases: \"true\"\n");
  auto plan = planReload(running, next);
  EXPECT_EQ(plan.needs_restart, std::vector<std::string>{"compat.openmetadata_aliases"});
  EXPECT_FALSE(openMetadataAliases(plan.config));
}

}  // namespace
}  // namespace authgate::config
