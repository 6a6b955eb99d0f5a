// The gateway's route table: maps method + path to a request -> response function.
// Later modules add their endpoints with small `addXRoutes(Router&, ...)` functions
// (see health.h) before the server starts; the table is read-only while serving.
//
// Patterns: exact paths ("/healthz"), `{name}` for one path segment
// ("/auth/sessions/{id}") and a trailing `*` for the rest of the path ("/static/*",
// param "*"). Exact patterns win over patterned ones; otherwise the first registered
// match wins. The pattern is also the metrics label `route`, which bounds cardinality.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.h"

namespace authgate::gateway {

struct RouteOptions {
  // Always runs on the worker pool (outbound HTTP, SQLite, ...): the handler is wrapped
  // so it defers itself (net/http.h "Execution model"). Handlers that can often answer
  // from memory leave this off and call ctx.defer() themselves when they cannot.
  bool blocking = false;
  // An operator route (/healthz, /readyz, /metrics): on server.admin_listen when there is
  // one, and then not on the main listener (net::ListenerKind).
  bool admin = false;
};

class Router final : public net::RouteTable {
 public:
  // Registers `handler` for `methods` (empty: any) on `pattern`. GET also answers HEAD.
  Router& add(std::initializer_list<net::http::verb> methods, std::string pattern,
              net::Handler handler, RouteOptions options = {});
  Router& get(std::string pattern, net::Handler handler, RouteOptions options = {});
  Router& post(std::string pattern, net::Handler handler, RouteOptions options = {});
  // A route that decides on the request head alone: answer, or forward to an upstream
  // (the engine streams the bodies; WebSocket upgrades included).
  Router& addForward(std::initializer_list<net::http::verb> methods, std::string pattern,
                     net::ForwardHandler handler);

  std::size_t size() const override { return routes_.size(); }
  const net::Route& at(std::size_t id) const override { return routes_[id]; }
  net::RouteMatch match(net::http::verb method, std::string_view path, net::RequestContext& ctx,
                        std::shared_ptr<const void>& owner) const override;

 private:
  Router& push(net::Route route);

  std::vector<net::Route> routes_;
  std::vector<std::size_t> exact_;      // ids of patterns without {name} or *
  std::vector<std::size_t> patterned_;  // the others, in registration order
};

// True when `path` matches `pattern`; fills `params` for `{name}` and `*`.
bool matchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::pair<std::string, std::string>>* params);

}  // namespace authgate::gateway
