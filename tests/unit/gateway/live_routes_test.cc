#include "gateway/live_routes.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace authgate::gateway {
namespace {

namespace http = net::http;

// A snapshot whose only endpoints answer `body`.
std::shared_ptr<const Snapshot> snapshot(const std::string& body, bool extraRoute = false) {
  auto s = std::make_shared<Snapshot>(config::Config{});
  auto answer = [body](const net::Request& req, net::RequestContext&) {
    return net::makeResponse(req, http::status::ok, body);
  };
  s->router.get("/x", answer);
  s->router.get("/y/{id}", answer);
  if (extraRoute) s->router.get("/z", answer);
  return s;
}

std::string call(const net::RouteMatch& m) {
  net::Request req{http::verb::get, "/x", 11};
  net::RequestContext ctx;
  return m.route->handler(req, ctx).body();
}

TEST(LiveRoutes, NewRequestsGetTheNewSnapshotAndMatchedOnesKeepTheirs) {
  LiveRoutes live(snapshot("one"));
  net::RequestContext ctx;
  std::shared_ptr<const void> connA;  // what each connection holds
  std::shared_ptr<const void> connB;
  auto before = live.match(http::verb::get, "/x", ctx, connA);
  ASSERT_NE(before.route, nullptr);
  std::weak_ptr<const void> old = connA;

  ASSERT_TRUE(live.replace(snapshot("two")));
  auto after = live.match(http::verb::get, "/x", ctx, connB);
  ASSERT_NE(after.route, nullptr);
  EXPECT_EQ(call(after), "two");
  // The request matched before the reload finishes on its snapshot...
  EXPECT_FALSE(old.expired());
  EXPECT_EQ(call(before), "one");
  // ...which goes when its connection's next request takes the new one.
  auto next = live.match(http::verb::get, "/x", ctx, connA);
  EXPECT_EQ(call(next), "two");
  EXPECT_TRUE(old.expired());
  EXPECT_EQ(connA, connB);
}

TEST(LiveRoutes, AnUnchangedTableKeepsWhatTheConnectionHolds) {
  LiveRoutes live(snapshot("one"));
  net::RequestContext ctx;
  std::shared_ptr<const void> conn;
  live.match(http::verb::get, "/x", ctx, conn);
  const auto* held = conn.get();
  const auto count = conn.use_count();
  for (int i = 0; i < 3; ++i) {
    auto m = live.match(http::verb::get, "/x", ctx, conn);
    EXPECT_EQ(call(m), "one");
  }
  EXPECT_EQ(conn.get(), held);
  EXPECT_EQ(conn.use_count(), count) << "no reference taken per request";
  // Something that is not the current snapshot (another table's, or none) is replaced.
  std::shared_ptr<const void> foreign = std::make_shared<int>(1);
  live.match(http::verb::get, "/x", ctx, foreign);
  EXPECT_EQ(foreign.get(), held);
}

TEST(LiveRoutes, OtherEndpointsAreRefused) {
  LiveRoutes live(snapshot("one"));
  EXPECT_FALSE(live.replace(snapshot("two", true)));
  EXPECT_FALSE(live.replace(nullptr));
  net::RequestContext ctx;
  std::shared_ptr<const void> conn;
  auto m = live.match(http::verb::get, "/x", ctx, conn);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(call(m), "one");
  EXPECT_EQ(live.size(), 2u);
}

TEST(LiveRoutes, SameEndpointsComparesPatternsMethodsAndKinds) {
  Router a;
  Router b;
  auto h = [](const net::Request& req, net::RequestContext&) {
    return net::makeResponse(req, http::status::ok, "");
  };
  a.get("/x", h);
  b.get("/x", h);
  EXPECT_TRUE(sameEndpoints(a, b));
  Router c;
  c.post("/x", h);
  EXPECT_FALSE(sameEndpoints(a, c));
  Router d;
  d.get("/x", h, {.admin = true});
  EXPECT_FALSE(sameEndpoints(a, d));
  Router e;
  e.get("/w", h);
  EXPECT_FALSE(sameEndpoints(a, e));
}

}  // namespace
}  // namespace authgate::gateway
