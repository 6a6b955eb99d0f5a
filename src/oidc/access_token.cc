#include "authgate/oidc/access_token.h"

namespace authgate::oidc {

namespace {
std::vector<jose::Alg> knownAlgs(const std::vector<std::string>& names) {
  std::vector<jose::Alg> out;
  for (const auto& n : names) {
    if (auto a = jose::algFromName(n)) out.push_back(*a);
  }
  return out;
}
}  // namespace

jose::VerifyPolicy accessTokenPolicy(std::string issuer, std::vector<std::string> audiences,
                                     const std::vector<std::string>& algs,
                                     std::chrono::seconds clockSkew) {
  jose::VerifyPolicy p;
  p.issuer = std::move(issuer);
  p.audiences = std::move(audiences);
  p.allowedAlgs = knownAlgs(algs);
  p.allowedTypes = {"at+jwt", "JWT"};
  p.typRequired = true;
  p.requiredClaims = {"sub", "iat"};
  p.leeway = clockSkew;
  return p;
}

jose::VerifyPolicy idTokenPolicy(std::string issuer, std::string clientId,
                                 const std::vector<std::string>& algs,
                                 std::chrono::seconds clockSkew) {
  auto p = jose::VerifyPolicy::idToken(std::move(issuer), std::move(clientId));
  p.allowedAlgs = knownAlgs(algs);
  p.leeway = clockSkew;
  return p;
}

}  // namespace authgate::oidc
