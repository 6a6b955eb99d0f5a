// Configuration reload (SIGHUP, docs/CONFIGURATION.md "Reload").
//
// LiveRoutes is the route table the server reads: the current Snapshot's router. Each
// request loads the snapshot once (one atomic shared_ptr load in match()) and keeps it
// until its exchange is over (net::RouteMatch::owner), so requests in flight finish on
// the settings they started with and new ones get the new settings.
//
// Reloader reads the settings again from the sources the process started with, and puts
// a new snapshot in, or refuses the new settings and logs why.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/load.h"
#include "gateway/app.h"
#include "net/http.h"

namespace authgate::gateway {

class LiveRoutes final : public net::RouteTable {
 public:
  explicit LiveRoutes(std::shared_ptr<const Snapshot> first) : current_(std::move(first)) {}

  std::shared_ptr<const Snapshot> current() const { return current_.load(); }
  // Serves `next` to new requests. Refused (false, nothing changes) when its endpoints
  // are not the running ones, pattern by pattern: the server counts per route id.
  bool replace(std::shared_ptr<const Snapshot> next);

  std::size_t size() const override { return current()->router.size(); }
  const net::Route& at(std::size_t id) const override;
  net::RouteMatch match(net::http::verb method, std::string_view path,
                        net::RequestContext& ctx) const override;

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
};

// The same endpoints in the same order (pattern, methods, operator flag).
bool sameEndpoints(const net::RouteTable& a, const net::RouteTable& b);

class Reloader {
 public:
  // `load` reads the settings as at start (the same file, env files, environment).
  Reloader(const App& app, LiveRoutes& live, std::function<config::LoadResult()> load)
      : app_(app), live_(live), load_(std::move(load)) {}

  // One reload, one at a time: true when the new settings serve. Every problem is
  // logged as `reload refused: key: reason`; a changed restart-only setting as
  // `key: needs a restart, still using the old value` (the rest applies).
  bool run();

 private:
  const App& app_;
  LiveRoutes& live_;
  std::function<config::LoadResult()> load_;
  std::mutex mu_;
};

}  // namespace authgate::gateway
