// check-config's checks of how the settings fit together as a deployment, beyond each
// value being well formed (config::validate): what `serve` would refuse, or what would
// only fail at the first login. Values in, values out: no network, no files.
#pragma once

#include <vector>

#include "config/config.h"
#include "config/load.h"

namespace authgate::cli {

struct DeploymentFindings {
  std::vector<config::Problem> problems;  // serve refuses, or every login fails
  std::vector<config::Problem> warnings;  // works, but probably not as meant
};

// - provider.callback_url's path is one authgate answers (PREFIX/callback, /callback,
//   /api/v1/auth/callback), else the provider's redirect ends on a 404;
// - a shared store (redis://, postgres://) has an encryption key (serve refuses to start
//   without), and a postgres:// URI is one libpq accepts;
// - a loopback public_url or callback_url reaches server.listen (same port, a loopback
//   or wildcard address), else the browser's requests go elsewhere;
// - callback_url on another origin than public_url: the login cookie is not sent there
//   (warning);
// - no upstream.url: only /auth/* and the OpenMetadata aliases answer (warning).
DeploymentFindings deploymentChecks(const config::Config& config);

}  // namespace authgate::cli
