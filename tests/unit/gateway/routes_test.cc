#include "gateway/routes.h"

#include <gtest/gtest.h>

namespace authgate::gateway {
namespace {

TEST(RoutingHost, LowerCaseWithoutPortOrTrailingDot) {
  EXPECT_EQ(routingHost("App.Example.COM:8443"), "app.example.com");
  EXPECT_EQ(routingHost("app.example.com."), "app.example.com");
  EXPECT_EQ(routingHost("[::1]:80"), "[::1]");
  EXPECT_EQ(routingHost(""), "");
}

TEST(RoutingPath, DecodesAndRefusesWhatCouldMeanAnotherPath) {
  EXPECT_EQ(routingPath("/%61dmin/x"), "/admin/x");
  EXPECT_EQ(routingPath("/a+b"), "/a+b");
  EXPECT_EQ(routingPath("/"), "/");
  for (const char* bad : {"/a/../admin", "/a/%2e%2e/admin", "/./a", "/a/..", "/a\\b", "/a%00",
                          "/a%zz", "relative", ""}) {
    EXPECT_FALSE(routingPath(bad)) << bad;
  }
  EXPECT_EQ(routingPath("/a..b/.c"), "/a..b/.c");  // dots inside a segment are a name
}

TEST(UnderPrefix, AtASegmentBoundary) {
  EXPECT_TRUE(underPrefix("/api", "/api"));
  EXPECT_TRUE(underPrefix("/api/x", "/api"));
  EXPECT_FALSE(underPrefix("/apix", "/api"));
  EXPECT_TRUE(underPrefix("/apix", "/"));
  EXPECT_TRUE(underPrefix("/api/x", "/api/"));
  EXPECT_FALSE(underPrefix("/ap", "/api"));
}

config::RouteSettings route(std::string host, std::string path, std::string upstream) {
  config::RouteSettings r;
  r.host = std::move(host);
  r.path = std::move(path);
  r.upstream = std::move(upstream);
  return r;
}

TEST(RouteMap, LongestPathFirstHostBeforeAnyHost) {
  config::Config c;
  c.upstream.url = "http://127.0.0.1:1";
  c.routes = {route("", "/api", "http://127.0.0.1:2"),
              route("", "/api/admin", "http://127.0.0.1:3"),
              route("b.example.com", "/api", "http://127.0.0.1:4")};
  c.routes[1].admins_only = true;
  std::vector<std::string> problems;
  auto map = RouteMap::build(c, "https://app.example.com", problems);
  ASSERT_TRUE(map) << (problems.empty() ? "" : problems[0]);
  auto upstreamOf = [&](std::string_view host, std::string_view path) {
    const auto* r = map->match(host, path);
    return r ? r->settings.upstream : std::string("none");
  };
  EXPECT_EQ(upstreamOf("app.example.com", "/api/admin/x"), "http://127.0.0.1:3");
  EXPECT_EQ(upstreamOf("app.example.com", "/api/x"), "http://127.0.0.1:2");
  EXPECT_EQ(upstreamOf("b.example.com", "/api/x"), "http://127.0.0.1:4");
  EXPECT_EQ(upstreamOf("b.example.com", "/api/admin"), "http://127.0.0.1:3");  // longer wins
  EXPECT_EQ(upstreamOf("app.example.com", "/apix"), "http://127.0.0.1:1");
  EXPECT_TRUE(map->match("app.example.com", "/api/admin")->has_rules);
  EXPECT_FALSE(map->match("app.example.com", "/api")->has_rules);
  // Login returns to another host than public_url's with an absolute target.
  EXPECT_EQ(map->match("b.example.com", "/api")->origin, "https://b.example.com");
  EXPECT_EQ(map->match("app.example.com", "/api")->origin, "");
  EXPECT_EQ(map->hosts(), std::vector<std::string>{"b.example.com"});
}

TEST(RouteMap, NoRouteForAHostWithoutAnyHostRoute) {
  config::Config c;
  c.routes = {route("b.example.com", "/", "http://127.0.0.1:4")};
  std::vector<std::string> problems;
  auto map = RouteMap::build(c, "https://app.example.com:8443", problems);
  ASSERT_TRUE(map);
  EXPECT_EQ(map->match("app.example.com", "/x"), nullptr);
  EXPECT_EQ(map->match("b.example.com", "/x")->origin, "https://b.example.com:8443");
}

}  // namespace
}  // namespace authgate::gateway
