#include "cli/provider_probe.h"

#include "authgate/core/clock.h"
#include "gateway/app.h"

namespace authgate::cli {
namespace {

// The probes send what serve sends: a DPoP proof with provider.dpop (a key that does not
// load is reported by check-config's own key check, and the probe then goes without).
std::shared_ptr<const jose::SigningKey> probeDpopKey(const config::ProviderSettings& p) {
  if (!p.dpop) return nullptr;
  std::shared_ptr<const jose::SigningKey> generated;
  if (auto k = jose::generateSigningKey(jose::Alg::kES256)) {
    generated = std::make_shared<jose::SigningKey>(std::move(*k));
  }
  auto key = gateway::dpopSigningKey(p, generated);
  return key ? *key : nullptr;
}

}  // namespace

ProviderProbe::ProviderProbe(const config::ProviderSettings& settings, std::string issuer,
                             std::string discoveryUrl)
    : http(gateway::clientOptions(settings)),
      provider(http, core::SystemClock::instance(),
               rp::ProviderClientOptions{
                   .issuer = std::move(issuer),
                   .discovery_url = std::move(discoveryUrl),
                   .dpop_key = probeDpopKey(settings),
                   .use_mtls_endpoint_aliases = !settings.tls_client_certificate.empty()}) {}

}  // namespace authgate::cli
