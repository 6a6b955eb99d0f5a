// The provider as the operator commands see it: one HTTP client (same timeouts, CA and
// proxy settings as the server) and a ProviderClient for discovery and the JWKS.
#pragma once

#include <string>

#include "authgate/rp/provider_client.h"
#include "config/config.h"
#include "net/http_client.h"

namespace authgate::cli {

struct ProviderProbe {
  ProviderProbe(const config::ProviderSettings& settings, std::string issuer,
                std::string discoveryUrl);
  net::CurlHttpClient http;
  rp::ProviderClient provider;
};

}  // namespace authgate::cli
