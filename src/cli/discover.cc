// authgate discover ISSUER: what the provider publishes and what authgate will use.
#include <iostream>

#include "authgate/core/errc.h"
#include "authgate/oidc/discovery.h"
#include "authgate/oidc/par.h"
#include "cli/commands.h"
#include "cli/provider_probe.h"
#include "gateway/app.h"

namespace authgate::cli {

namespace {
void printList(std::string_view name, const std::vector<std::string>& values) {
  std::cout << "  " << name << ":";
  for (const auto& v : values) std::cout << " " << v;
  std::cout << "\n";
}
std::string orNone(const std::string& s) { return s.empty() ? "(none)" : s; }
}  // namespace

int runDiscover(const CommonOptions& options, const std::string& issuerArgument) {
  // The settings say which auth method and algorithms we would use; an incomplete file
  // is fine here (the operator may be setting authgate up).
  auto settings = loadSettings(options, config::processEnvironment());
  const bool configured = issuerArgument.empty();
  const std::string issuer = configured ? settings.config.provider.issuer : issuerArgument;
  if (issuer.empty()) {
    std::cerr << "discover: give ISSUER, or set provider.issuer (-c FILE, --env-file, "
                 "AUTH0_DOMAIN, ...)\n";
    return kExitProblems;
  }
  ProviderProbe probe(settings.config.provider, issuer,
                      configured ? settings.config.provider.discovery_url : "");
  std::cout << "discovery: " << probe.provider.discoveryUrl() << "\n";
  auto md = probe.provider.metadata();
  if (!md) {
    std::cerr << "discover: " << core::errorName(md.error()) << ": " << md.error().message()
              << "\n";
    return kExitProblems;
  }
  const auto& m = **md;
  std::cout << "issuer: " << m.issuer << "\n"
            << "  authorization_endpoint: " << m.authorization_endpoint << "\n"
            << "  token_endpoint: " << m.token_endpoint << "\n"
            << "  userinfo_endpoint: " << orNone(m.userinfo_endpoint) << "\n"
            << "  jwks_uri: " << m.jwks_uri << "\n"
            << "  end_session_endpoint: " << orNone(m.end_session_endpoint) << "\n"
            << "  revocation_endpoint: " << orNone(m.revocation_endpoint) << "\n"
            << "  pushed_authorization_request_endpoint: "
            << orNone(m.pushed_authorization_request_endpoint)
            << (m.require_pushed_authorization_requests ? " (required)" : "") << "\n";
  printList("token_endpoint_auth_methods_supported", m.token_endpoint_auth_methods_supported);
  printList("id_token_signing_alg_values_supported", m.id_token_signing_alg_values_supported);
  printList("code_challenge_methods_supported", m.code_challenge_methods_supported);
  printList("response_modes_supported", m.response_modes_supported);
  std::cout << "  authorization_response_iss_parameter_supported: "
            << (m.authorization_response_iss_parameter_supported ? "yes" : "no") << "\n"
            << "  backchannel_logout_supported: " << (m.backchannel_logout_supported ? "yes" : "no")
            << "\n";

  auto rp = gateway::relyingPartyOptions(settings.config);
  rp.issuer = issuer;
  std::cout << "authgate will use:\n"
            << "  client authentication: " << oidc::clientAuthMethodName(rp.client_auth_method)
            << "\n  response_mode: " << oidc::responseModeName(rp.response_mode)
            << "\n  PKCE: S256\n";
  const auto par = oidc::usePushedAuthorization(rp.pushed_authorization_requests, m);
  std::cout << "  pushed authorization requests: "
            << (!par   ? "refused (always, and the provider has no endpoint)"
                : *par ? "yes"
                       : "no")
            << "\n  signed authorize requests (JAR): "
            << (rp.signed_authorize_requests ? "yes" : "no") << "\n";
  printList("ID token algorithms", rp.id_token_algs);
  std::cout << "  logout: "
            << oidc::logoutStyleName(oidc::chooseLogoutStyle(settings.config.logout.idp_logout, m))
            << "\n";

  int rc = kExitOk;
  auto jwks = probe.provider.jwks();
  auto keys = jwks ? (*jwks)->keys() : Result<std::shared_ptr<const jose::KeyStore>>(jwks.error());
  if (!keys) {
    std::cerr << "jwks: " << core::errorName(keys.error()) << ": " << keys.error().message()
              << "\n";
    rc = kExitProblems;
  } else {
    std::cout << "jwks: " << (*keys)->size() << " usable key(s)";
    for (const auto& k : (*keys)->keys()) std::cout << " " << (k.kid.empty() ? "(no kid)" : k.kid);
    std::cout << "\n";
  }
  for (const auto& w : oidc::discoveryWarnings(m, rp)) std::cout << "warning: " << w << "\n";
  return rc;
}

}  // namespace authgate::cli
