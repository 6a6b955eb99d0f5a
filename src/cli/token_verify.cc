// authgate token verify TOKEN [--kind id|access] [--audience A]: verifies a JWT against
// the provider's JWKS with the same rules the gateway applies, and prints the claims and
// each check's outcome. --kind id (the default) checks an ID token for our client;
// --kind access an API access token for --audience (or api.audiences). The kind is always
// explicit: --audience without --kind access is a usage error. TOKEN "-" reads the token
// from stdin, so it need not appear in the process list or the shell history.
#include <boost/json/serialize.hpp>

#include <iostream>
#include <string>

#include "authgate/core/clock.h"
#include "authgate/jose/errc.h"
#include "authgate/jose/jwt.h"
#include "authgate/oidc/access_token.h"
#include "cli/commands.h"
#include "cli/provider_probe.h"

namespace authgate::cli {

int runTokenVerify(const CommonOptions& options, const TokenVerifyOptions& verify) {
  const bool access = verify.kind == "access";
  if (!access && !verify.audience.empty()) {
    std::cerr << "authgate token verify: --audience applies to access tokens; add --kind "
                 "access\n";
    return kExitProblems;
  }
  auto settings = loadSettings(options, config::processEnvironment());
  const auto& p = settings.config.provider;
  const auto audiences = verify.audience.empty() ? settings.config.api.audiences
                                                 : std::vector<std::string>{verify.audience};
  if (access && audiences.empty()) {
    std::cerr << "api.audiences: required to verify an access token (or give --audience)\n";
    return kExitProblems;
  }
  if (p.issuer.empty()) {
    std::cerr << "provider.issuer: required to verify a token\n";
    return kExitProblems;
  }
  std::string token = verify.token;
  if (token == "-") {
    std::getline(std::cin, token);
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }

  ProviderProbe probe(p, p.issuer, p.discovery_url);
  auto jwks = probe.provider.jwks();
  if (!jwks) {
    std::cerr << "provider: " << core::errorName(jwks.error()) << ": " << jwks.error().message()
              << "\n";
    return kExitProblems;
  }
  auto policy = access ? oidc::accessTokenPolicy(p.issuer, audiences, p.id_token_algs, p.clock_skew)
                       : oidc::idTokenPolicy(p.issuer, p.client_id, p.id_token_algs, p.clock_skew);
  std::cout << "kind: " << (access ? "access token" : "ID token") << "\n";
  if (policy.allowedAlgs.size() == 1 && jose::isHmacAlg(policy.allowedAlgs.front())) {
    policy.sharedSecret = p.client_secret;
  }
  const auto& clock = core::SystemClock::instance();
  auto keys = (*jwks)->keys();
  if (!keys) {
    std::cerr << "jwks: " << core::errorName(keys.error()) << "\n";
    return kExitProblems;
  }
  auto report = jose::verifyJwtReport(token, **keys, policy, clock);
  if (report.firstError == jose::Errc::kUnknownKid ||
      report.firstError == jose::Errc::kNoMatchingKey) {
    if (auto fresh = (*jwks)->refreshForUnknownKey()) {
      report = jose::verifyJwtReport(token, **fresh, policy, clock);
    }
  }

  const char* trust = report.signatureVerified ? "" : " (UNVERIFIED)";
  if (report.header) {
    std::cout << "header" << trust << ": " << boost::json::serialize(*report.header) << "\n";
  }
  if (report.claims) {
    std::cout << "claims" << trust << ": " << boost::json::serialize(*report.claims) << "\n";
  }
  for (const auto& c : report.checks) {
    std::cout << "  " << c.name << ": " << jose::checkStatusName(c.status);
    if (c.error) std::cout << " (" << core::errorName(c.error) << ": " << c.error.message() << ")";
    std::cout << "\n";
  }
  if (report.valid()) {
    std::cout << "valid\n";
    return kExitOk;
  }
  std::cout << "invalid: " << core::errorName(report.firstError) << "\n";
  return kExitProblems;
}

}  // namespace authgate::cli
