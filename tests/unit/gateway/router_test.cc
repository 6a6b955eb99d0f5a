#include "gateway/router.h"

#include <gtest/gtest.h>

namespace authgate::gateway {
namespace {

std::shared_ptr<const void> owner;  // a Router never sets it

namespace http = net::http;

net::Handler answer(std::string body) {
  return [body](const net::Request& req, net::RequestContext&) {
    return net::makeResponse(req, http::status::ok, body);
  };
}

struct PatternCase {
  const char* pattern;
  const char* path;
  bool matches;
  std::vector<std::pair<std::string, std::string>> params;
};

TEST(RouterPattern, MatchesTable) {
  const std::vector<PatternCase> cases = {
      {"/healthz", "/healthz", true, {}},
      {"/healthz", "/healthz/", false, {}},
      {"/healthz", "/health", false, {}},
      {"/auth/sessions/{id}", "/auth/sessions/abc", true, {{"id", "abc"}}},
      {"/auth/sessions/{id}", "/auth/sessions/", false, {}},
      {"/auth/sessions/{id}", "/auth/sessions/a/b", false, {}},
      {"/a/{x}/b/{y}", "/a/1/b/2", true, {{"x", "1"}, {"y", "2"}}},
      {"/static/*", "/static/css/site.css", true, {{"*", "css/site.css"}}},
      {"/static/*", "/static/", true, {{"*", ""}}},
      {"/static/*", "/stat", false, {}},
      {"/*", "/anything/at/all", true, {{"*", "anything/at/all"}}},
  };
  for (const auto& c : cases) {
    std::vector<std::pair<std::string, std::string>> params;
    EXPECT_EQ(matchPattern(c.pattern, c.path, &params), c.matches) << c.pattern << " " << c.path;
    if (c.matches) {
      EXPECT_EQ(params, c.params) << c.pattern << " " << c.path;
    } else {
      EXPECT_TRUE(params.empty()) << c.pattern << " " << c.path;
    }
  }
}

TEST(Router, ExactRouteWinsOverPattern) {
  Router r;
  r.get("/auth/sessions/{id}", answer("one"));
  r.get("/auth/sessions/current", answer("current"));
  net::RequestContext ctx;
  auto m = r.match(http::verb::get, "/auth/sessions/current", ctx, owner);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/auth/sessions/current");
  EXPECT_TRUE(ctx.params.empty());
}

TEST(Router, FillsParamsForPatternedRoute) {
  Router r;
  r.add({http::verb::delete_}, "/auth/sessions/{id}", answer("x"));
  net::RequestContext ctx;
  auto m = r.match(http::verb::delete_, "/auth/sessions/s1", ctx, owner);
  ASSERT_NE(m.route, nullptr);
  EXPECT_TRUE(m.method_allowed);
  EXPECT_EQ(ctx.param("id"), "s1");
}

TEST(Router, WrongMethodIsReportedNotAllowed) {
  Router r;
  r.post("/auth/logout", answer("post"));
  net::RequestContext ctx;
  auto m = r.match(http::verb::put, "/auth/logout", ctx, owner);
  ASSERT_NE(m.route, nullptr);
  EXPECT_FALSE(m.method_allowed);
}

TEST(Router, SamePatternDifferentMethodsPickTheRightHandler) {
  Router r;
  r.get("/auth/logout", answer("confirm"));
  r.post("/auth/logout", answer("do"));
  net::RequestContext ctx;
  net::Request req{http::verb::post, "/auth/logout", 11};
  auto m = r.match(http::verb::post, "/auth/logout", ctx, owner);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->handler(req, ctx).body(), "do");
}

TEST(Router, GetRouteAnswersHead) {
  Router r;
  r.get("/healthz", answer("ok"));
  net::RequestContext ctx;
  EXPECT_TRUE(r.match(http::verb::head, "/healthz", ctx, owner).method_allowed);
}

TEST(Router, UnknownPathHasNoRoute) {
  Router r;
  r.get("/healthz", answer("ok"));
  net::RequestContext ctx;
  EXPECT_EQ(r.match(http::verb::get, "/nope", ctx, owner).route, nullptr);
}

TEST(Router, AssignsIdsInRegistrationOrder) {
  Router r;
  r.get("/a", answer("a")).get("/b/{x}", answer("b"));
  ASSERT_EQ(r.size(), 2U);
  EXPECT_EQ(r.at(0).id, 0U);
  EXPECT_EQ(r.at(1).pattern, "/b/{x}");
  EXPECT_EQ(r.at(1).id, 1U);
}

TEST(Router, RejectsPatternWithoutLeadingSlash) {
  Router r;
  EXPECT_THROW(r.get("healthz", answer("x")), std::invalid_argument);
}

}  // namespace
}  // namespace authgate::gateway
