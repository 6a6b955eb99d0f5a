#include "config/routes.h"

#include <gtest/gtest.h>

#include <string>

#include "config/load.h"
#include "config_test_util.h"

namespace authgate::config {
namespace {

using testing::hasProblem;
using testing::kValidYaml;
using testing::problemsText;

LoadResult withRoutes(std::string_view routes, std::string_view extra = "") {
  return loadYaml(std::string(kValidYaml) + std::string(extra) + "routes:\n" + std::string(routes),
                  {});
}

TEST(Routes, ParsedWithEveryKey) {
  auto r = withRoutes(R"(
  - host: static.example.com
    path: /
    public: true
    upstream: http://127.0.0.1:9000
  - path: /team
    upstream: http://127.0.0.1:9001/base
    allowed_emails: [a@example.com]
    identity_headers: [email]
    pass_access_token: true
)");
  ASSERT_TRUE(r.ok()) << problemsText(r);
  ASSERT_EQ(r.config.routes.size(), 2u);
  EXPECT_TRUE(r.config.routes[0].is_public);
  EXPECT_EQ(r.config.routes[0].host, "static.example.com");
  EXPECT_EQ(r.config.routes[1].allowed_emails, std::vector<std::string>{"a@example.com"});
  EXPECT_EQ(r.config.routes[1].identity_headers, std::vector<std::string>{"email"});
  EXPECT_TRUE(r.config.routes[1].pass_access_token);
}

TEST(Routes, UnknownKeyNamesTheNearestOne) {
  auto r = withRoutes("  - path: /a\n    upstream: http://127.0.0.1:1\n    pubic: true\n");
  EXPECT_TRUE(hasProblem(r, "routes[0].pubic: unknown key")) << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "public")) << problemsText(r);
}

TEST(Routes, BadValuesAreRefusedEachWithItsPlace) {
  auto r = withRoutes(R"(
  - path: admin
    upstream: https://127.0.0.1:1
  - host: "Bad Host"
    path: /a/../b
  - path: /p
    upstream: http://127.0.0.1:1
    public: true
    allowed_emails: [a@example.com]
  - path: /p
    upstream: http://127.0.0.1:2
    identity_headers: [groups]
    admins_only: true
)");
  EXPECT_TRUE(hasProblem(r, "routes[0].path")) << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "routes[0].upstream")) << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "routes[1].host")) << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "routes[1].path")) << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "routes[1].upstream: is required")) << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "routes[2].public")) << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "routes[3]: another route has the same host and path"))
      << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "routes[3].identity_headers")) << problemsText(r);
  EXPECT_TRUE(hasProblem(r, "routes[3].admins_only: access.admin_emails")) << problemsText(r);
}

TEST(Routes, AnotherHostNeedsACookieDomainHoldingIt) {
  const std::string route = "  - host: b.example.com\n    upstream: http://127.0.0.1:1\n";
  auto bare = withRoutes(route);
  EXPECT_TRUE(hasProblem(bare, "routes[0].host")) << problemsText(bare);
  EXPECT_TRUE(hasProblem(bare, "server.cookie_domain")) << problemsText(bare);
  // kValidYaml's public_url is https://app.example.com.
  auto shared = loadYaml(std::string(kValidYaml)
                                 .replace(std::string(kValidYaml).find("server:\n") + 8, 0,
                                          "  cookie_domain: example.com\n") +
                             "routes:\n" + route,
                         {});
  EXPECT_TRUE(shared.ok()) << problemsText(shared);
  auto other = loadYaml(std::string(kValidYaml)
                            .replace(std::string(kValidYaml).find("server:\n") + 8, 0,
                                     "  cookie_domain: other.org\n"),
                        {});
  EXPECT_TRUE(hasProblem(other, "server.cookie_domain: \"other.org\" does not contain"))
      << problemsText(other);
}

TEST(Routes, UpstreamUrlIsTheLastRouteUnlessOneCoversSlash) {
  Config c;
  c.upstream.url = "http://127.0.0.1:9000";
  c.upstream.pass_access_token = true;
  RouteSettings api;
  api.path = "/api";
  api.upstream = "http://127.0.0.1:9001";
  c.routes = {api};
  auto routes = effectiveRoutes(c);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[1].path, "/");
  EXPECT_EQ(routes[1].upstream, "http://127.0.0.1:9000");
  EXPECT_TRUE(routes[1].pass_access_token);
  c.upstream.url.clear();
  EXPECT_EQ(effectiveRoutes(c).size(), 1u);
}

TEST(Compat, AliasesSettingAndOpenMetadataVariables) {
  auto bad = loadYaml(std::string(kValidYaml) + "compat:\n  openmetadata_aliases: maybe\n", {});
  EXPECT_TRUE(hasProblem(bad, "compat.openmetadata_aliases")) << problemsText(bad);
  auto plain = loadYaml(kValidYaml, {});
  EXPECT_FALSE(plain.config.openmetadata_variables);
  EXPECT_EQ(plain.config.compat.openmetadata_aliases, "auto");
}

TEST(ServerTls, NeedsBothFiles) {
  auto r = loadYaml(std::string(kValidYaml)
                        .replace(std::string(kValidYaml).find("server:\n") + 8, 0,
                                 "  tls: {cert_file: /x.pem}\n"),
                    {});
  EXPECT_TRUE(hasProblem(r, "server.tls: needs both cert_file and key_file")) << problemsText(r);
}

}  // namespace
}  // namespace authgate::config
