#include "gateway/health.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace authgate::gateway {

namespace http = net::http;

void Readiness::add(std::string name, Check check) {
  std::lock_guard lock(mu_);
  checks_.emplace_back(std::move(name), std::move(check));
}

std::optional<Readiness::Failure> Readiness::firstFailure() const {
  std::vector<std::pair<std::string, Check>> checks;
  {
    std::lock_guard lock(mu_);
    checks = checks_;  // run the checks without holding the lock
  }
  for (const auto& [name, check] : checks) {
    Result<void> r = error_code();
    try {
      r = check();
    } catch (const std::exception&) {
      return Failure{name, "exception"};
    }
    if (!r) return Failure{name, core::errorName(r.error())};
  }
  return std::nullopt;
}

void addHealthRoutes(Router& router, std::shared_ptr<const Readiness> readiness) {
  // Liveness only: no dependency is consulted, so an outage of the provider or the store
  // never makes an orchestrator restart a process that would come back the same.
  router.get(
      "/healthz",
      [](const net::Request& req, net::RequestContext&) {
        net::Response res{http::status::ok, req.version()};
        res.set(http::field::content_type, "text/plain");
        res.set(http::field::cache_control, "no-store");
        res.body() = "ok";
        return res;
      },
      RouteOptions{.admin = true});
  router.get(
      "/readyz",
      [readiness = std::move(readiness)](const net::Request& req, net::RequestContext&) {
        auto failure = readiness ? readiness->firstFailure() : std::nullopt;
        boost::json::object body;
        if (failure) {
          body["status"] = "unavailable";
          body["failing"] = failure->check;
          body["reason"] = failure->reason;
        } else {
          body["status"] = "ready";
        }
        auto res =
            net::makeResponse(req, failure ? http::status::service_unavailable : http::status::ok,
                              boost::json::serialize(body), "application/json");
        res.set(http::field::cache_control, "no-store");
        return res;
      },
      RouteOptions{.blocking = true, .admin = true});
}

}  // namespace authgate::gateway
