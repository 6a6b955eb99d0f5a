#include "cli/provider_probe.h"

#include "authgate/core/clock.h"
#include "gateway/app.h"

namespace authgate::cli {

ProviderProbe::ProviderProbe(const config::ProviderSettings& settings, std::string issuer,
                             std::string discoveryUrl)
    : http(gateway::clientOptions(settings)),
      provider(http, core::SystemClock::instance(),
               net::ProviderClientOptions{.issuer = std::move(issuer),
                                          .discovery_url = std::move(discoveryUrl)}) {}

}  // namespace authgate::cli
