#include "gateway/live_routes.h"

#include <spdlog/spdlog.h>

#include "config/reload.h"
#include "gateway/pages.h"

namespace authgate::gateway {

bool LiveRoutes::replace(std::shared_ptr<const Snapshot> next) {
  if (!next || !sameEndpoints(current()->router, next->router)) return false;
  const void* raw = next.get();
  current_.store(std::move(next));
  current_raw_.store(raw, std::memory_order_release);
  return true;
}

const net::Route& LiveRoutes::at(std::size_t id) const {
  // The route lives in the snapshot, which a reload may release: at() is for the
  // server's start-up (every snapshot has the same patterns), match() while serving.
  return current_.load()->router.at(id);
}

net::RouteMatch LiveRoutes::match(net::http::verb method, std::string_view path,
                                  net::RequestContext& ctx,
                                  std::shared_ptr<const void>& owner) const {
  // The held snapshot cannot be freed while it is held, so its address cannot be a new
  // snapshot's: equal addresses mean it is still the current one.
  if (owner.get() != current_raw_.load(std::memory_order_acquire)) owner = current_.load();
  const auto& snapshot = *static_cast<const Snapshot*>(owner.get());
  return snapshot.router.match(method, path, ctx, owner);
}

bool sameEndpoints(const net::RouteTable& a, const net::RouteTable& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& x = a.at(i);
    const auto& y = b.at(i);
    if (x.pattern != y.pattern || x.methods != y.methods || x.admin != y.admin ||
        static_cast<bool>(x.forward) != static_cast<bool>(y.forward)) {
      return false;
    }
  }
  return true;
}

bool Reloader::run() {
  std::lock_guard lock(mu_);
  std::vector<std::string> problems;  // `key: reason`, never a secret value (config/load.h)
  auto loaded = load_();
  for (const auto& p : loaded.problems) problems.push_back(p.str());
  std::shared_ptr<const Snapshot> next;
  if (problems.empty()) {
    auto plan = config::planReload(live_.current()->config, std::move(loaded.config));
    for (const auto& key : plan.needs_restart) {
      spdlog::warn("{}: needs a restart, still using the old value", key);
    }
    // The kept values beside the new ones: checked together again.
    for (const auto& p : config::validate(plan.config)) problems.push_back(p.str());
    // The pages (brand, templates_dir) are read again too; a template that no longer
    // parses refuses the whole reload, like any other bad setting.
    std::shared_ptr<const Pages> pages;
    if (problems.empty()) {
      std::vector<std::string> page_problems;
      pages = Pages::make(plan.config.pages, &page_problems);
      for (auto& p : page_problems) problems.push_back("pages.templates_dir: " + p);
    }
    if (problems.empty()) next = app_.build(std::move(plan.config), problems);
    if (next && !live_.replace(next)) {
      problems.emplace_back("routes: the endpoints would change; needs a restart");
    } else if (next) {
      installPages(std::move(pages));
    }
  }
  if (!problems.empty()) {
    for (const auto& p : problems) spdlog::error("reload refused: {}", p);
    spdlog::error("reload refused: {} problem(s); still serving the running settings",
                  problems.size());
    return false;
  }
  spdlog::info("settings reloaded{}{}", next->config.source.empty() ? "" : " from ",
               next->config.source);
  return true;
}

}  // namespace authgate::gateway
