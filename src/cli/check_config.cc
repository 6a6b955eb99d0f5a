// authgate check-config [--print] [--offline]: every settings problem as `key: reason`,
// then (unless --offline) the provider probe: discovery fetched and validated against
// the settings, and the JWKS fetched and parsed, each failure as `key: reason` too.
#include <iostream>

#include "authgate/core/errc.h"
#include "authgate/oidc/discovery.h"
#include "cli/commands.h"
#include "cli/provider_probe.h"
#include "config/print.h"
#include "gateway/app.h"

namespace authgate::cli {

namespace {

std::vector<config::Problem> probeProvider(const config::Config& c) {
  std::vector<config::Problem> problems;
  ProviderProbe probe(c.provider, c.provider.issuer, c.provider.discovery_url);
  auto md = probe.provider.metadata();
  if (!md) {
    problems.push_back({"provider.issuer", "discovery at " + probe.provider.discoveryUrl() +
                                               " failed: " + core::errorName(md.error()) + " (" +
                                               md.error().message() + ")"});
    return problems;
  }
  auto jwks = probe.provider.jwks();
  auto keys = jwks ? (*jwks)->keys() : Result<std::shared_ptr<const jose::KeyStore>>(jwks.error());
  if (!keys) {
    problems.push_back({"provider.jwks", "JWKS at " + (*md)->jwks_uri +
                                             " failed: " + core::errorName(keys.error()) + " (" +
                                             keys.error().message() + ")"});
  }
  for (const auto& w : oidc::discoveryWarnings(**md, gateway::relyingPartyOptions(c))) {
    std::cout << "warning: " << w << "\n";
  }
  return problems;
}

}  // namespace

int runCheckConfig(const CommonOptions& options, bool print, bool offline) {
  const auto settings = loadSettings(options, config::processEnvironment());
  if (print) std::cout << config::printConfig(settings.config);
  if (!settings.ok()) {
    printProblems(settings.problems, std::cerr);
    return kExitProblems;
  }
  if (!offline) {
    auto problems = probeProvider(settings.config);
    if (!problems.empty()) {
      printProblems(problems, std::cerr);
      return kExitProblems;
    }
  }
  std::cout << "configuration ok" << (offline ? " (offline checks only)" : "") << "\n";
  return kExitOk;
}

}  // namespace authgate::cli
