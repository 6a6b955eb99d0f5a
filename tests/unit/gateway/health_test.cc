#include "gateway/health.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "authgate/core/errc.h"
#include "gateway/metrics_route.h"

namespace authgate::gateway {
namespace {

namespace http = net::http;

// As the engine runs a route: on the I/O thread first, again on the pool if it defers.
net::Response call(const Router& r, std::string_view path) {
  net::RequestContext ctx;
  std::shared_ptr<const void> owner;
  auto m = r.match(http::verb::get, path, ctx, owner);
  EXPECT_NE(m.route, nullptr) << path;
  net::Request req{http::verb::get, path, 11};
  auto res = m.route->handler(req, ctx);
  if (!ctx.deferred) return res;
  ctx.deferred = false;
  ctx.may_block = true;
  return m.route->handler(req, ctx);
}

// Whether the route defers itself when run on an I/O thread.
bool defers(const Router& r, std::string_view path) {
  net::RequestContext ctx;
  std::shared_ptr<const void> owner;
  auto m = r.match(http::verb::get, path, ctx, owner);
  net::Request req{http::verb::get, path, 11};
  (void)m.route->handler(req, ctx);
  return ctx.deferred;
}

TEST(Health, HealthzIsAlwaysOk) {
  Router r;
  auto readiness = std::make_shared<Readiness>();
  readiness->add("store", [] { return Result<void>(core::Errc::kCryptoFailure); });
  addHealthRoutes(r, readiness);
  auto res = call(r, "/healthz");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), "ok");
}

TEST(Health, ReadyzIsOkWhenAllChecksPass) {
  Router r;
  auto readiness = std::make_shared<Readiness>();
  readiness->add("store", [] { return Result<void>(); });
  readiness->add("provider", [] { return Result<void>(); });
  addHealthRoutes(r, readiness);
  auto res = call(r, "/readyz");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(boost::json::parse(res.body()).at("status").as_string(), "ready");
}

TEST(Health, ReadyzNamesTheFailingCheckWith503) {
  Router r;
  auto readiness = std::make_shared<Readiness>();
  readiness->add("store", [] { return Result<void>(); });
  readiness->add("provider", [] { return Result<void>(core::Errc::kCryptoFailure); });
  addHealthRoutes(r, readiness);
  auto res = call(r, "/readyz");
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  auto body = boost::json::parse(res.body());
  EXPECT_EQ(body.at("failing").as_string(), "provider");
  EXPECT_EQ(body.at("reason").as_string(), "crypto_failure");
}

TEST(Health, ReadyzRunsOnTheWorkerPoolHealthzOnTheIoThread) {
  Router r;
  addHealthRoutes(r, std::make_shared<Readiness>());
  EXPECT_TRUE(defers(r, "/readyz")) << "store and provider checks may block";
  EXPECT_FALSE(defers(r, "/healthz"));
}

TEST(MetricsRoute, ServesRegistryAsPrometheusText) {
  Router r;
  core::MetricsRegistry metrics;
  metrics.counter("authgate_test_total", "t").inc(7);
  addMetricsRoute(r, metrics);
  auto res = call(r, "/metrics");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res.body().find("authgate_test_total 7\n"), std::string::npos);
}

}  // namespace
}  // namespace authgate::gateway
