// Runs the gateway until SIGTERM/SIGINT, then drains. Returns the process exit code.
#pragma once

#include <functional>

#include "config/config.h"
#include "config/load.h"

namespace authgate::gateway {

// `reload` reads the settings again from the sources `config` came from; SIGHUP runs
// it (docs/CONFIGURATION.md "Reload"). Empty: SIGHUP reloads the TLS certificate only.
int serve(const config::Config& config, std::function<config::LoadResult()> reload = {});

}  // namespace authgate::gateway
