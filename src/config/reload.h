// What a reload (SIGHUP) may change in a running process. Settings that the process
// holds for its whole life (its listeners and limits, the engine's forwarding rules,
// the endpoint table, the session store with its keys, the log) need a restart; every
// other setting (provider, access rules, routes and their upstreams, logout, api) takes
// effect for new requests. docs/CONFIGURATION.md "Reload".
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace authgate::config {

struct ReloadPlan {
  // The new settings, with every restart-only setting at its running value (and what
  // derives from it, the default callback_url, derived again).
  Config config;
  // The restart-only settings that changed, by key ("server.listen"), in a stable order.
  std::vector<std::string> needs_restart;
};

// Pure: `running` is the process's current settings, `next` the newly loaded ones
// (already validated).
ReloadPlan planReload(const Config& running, Config next);

}  // namespace authgate::config
