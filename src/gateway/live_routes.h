// Configuration reload (SIGHUP, docs/CONFIGURATION.md "Reload").
//
// LiveRoutes is the route table the server reads: the current Snapshot's router. Each
// connection holds the snapshot of its last request (net::RouteTable::match's owner)
// and takes the current one when a reload replaced it, so requests in flight finish on
// the settings they started with and new ones get the new settings. An idle keep-alive
// connection keeps the old snapshot until its next request or its close.
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
  explicit LiveRoutes(std::shared_ptr<const Snapshot> first)
      : current_raw_(first.get()), current_(std::move(first)) {}

  std::shared_ptr<const Snapshot> current() const { return current_.load(); }
  // Serves `next` to new requests. Refused (false, nothing changes) when its endpoints
  // are not the running ones, pattern by pattern: the server counts per route id.
  bool replace(std::shared_ptr<const Snapshot> next);

  std::size_t size() const override { return current()->router.size(); }
  const net::Route& at(std::size_t id) const override;
  net::RouteMatch match(net::http::verb method, std::string_view path, net::RequestContext& ctx,
                        std::shared_ptr<const void>& owner) const override;

 private:
  // current_'s pointer, read by every request: a plain load of a line only a reload
  // writes, where loading current_ itself would take its lock bit and bump the shared
  // reference count from both I/O threads.
  std::atomic<const void*> current_raw_;
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
