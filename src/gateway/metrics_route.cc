#include "gateway/metrics_route.h"

namespace authgate::gateway {

namespace http = net::http;

void addMetricsRoute(Router& router, const core::MetricsRegistry& metrics) {
  router.get(
      "/metrics",
      [&metrics](const net::Request& req, net::RequestContext&) {
        auto res = net::makeResponse(req, http::status::ok, metrics.render(),
                                     core::MetricsRegistry::kContentType);
        res.set(http::field::cache_control, "no-store");
        return res;
      },
      RouteOptions{.admin = true});
}

}  // namespace authgate::gateway
