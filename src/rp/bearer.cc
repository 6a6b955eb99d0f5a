#include "authgate/rp/bearer.h"

#include "authgate/core/codec.h"
#include "authgate/jose/errc.h"
#include "authgate/oidc/access_token.h"
#include "rp/key_sets.h"

namespace authgate::rp {

namespace {

bool isB64TokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// RFC 6750 s2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool isB64Token(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && isB64TokenChar(s[i])) ++i;
  if (i == 0) return false;
  while (i < s.size() && s[i] == '=') ++i;
  return i == s.size();
}

bool isTokenError(const error_code& ec) {
  // Every check on the token itself is a jose error; anything else (discovery or JWKS
  // fetch failures) means authgate cannot decide now.
  return ec.category() == error_code(jose::Errc::kBadSignature).category();
}

}  // namespace

AuthorizationHeader parseAuthorization(std::string_view value) {
  AuthorizationHeader out;
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return out;
  auto sp = value.find(' ');
  auto scheme = value.substr(0, sp);
  if (!core::asciiIEquals(scheme, "Bearer")) {
    out.kind = AuthorizationKind::kOther;
    return out;
  }
  auto rest = sp == std::string_view::npos ? std::string_view{} : value.substr(sp);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (!isB64Token(rest)) {
    out.kind = AuthorizationKind::kMalformedBearer;
    return out;
  }
  out.kind = AuthorizationKind::kBearer;
  out.token = rest;
  return out;
}

BearerVerifier::BearerVerifier(ProviderClient& provider, jose::VerifyPolicy policy,
                               oidc::AccessPolicy access, const core::Clock& clock,
                               const std::vector<std::string>& trustedJwksUrls,
                               std::size_t cacheCapacity)
    : provider_(provider),
      policy_(std::move(policy)),
      access_(std::move(access)),
      clock_(clock),
      cache_(cacheCapacity) {
  if (!trustedJwksUrls.empty()) {
    // Tokens of the listed sets are not RFC 9068 access tokens (OpenMetadata's carry no
    // typ, aud or client_id): only the algorithms, skew and exp rules carry over.
    jose::VerifyPolicy keySetPolicy;
    keySetPolicy.allowedAlgs = policy_.allowedAlgs;
    keySetPolicy.leeway = policy_.leeway;
    keySetPolicy.limits = policy_.limits;
    keySetPolicy.requiredClaims = {"sub"};
    keySets_ = std::make_unique<TrustedKeySets>(trustedJwksUrls, provider.http(), clock,
                                                std::move(keySetPolicy));
  }
}

BearerVerifier::~BearerVerifier() = default;

Result<jose::VerifiedJwt> BearerVerifier::verifyWithKeySets(std::string_view token,
                                                            const error_code& strict) {
  // Only a token whose key the provider does not have: one the provider signed is
  // judged by the access-token rules alone.
  const bool keyMiss = strict == jose::Errc::kUnknownKid || strict == jose::Errc::kNoMatchingKey;
  if (!keySets_ || !keyMiss) return strict;
  auto md = provider_.metadata();
  const std::string providerJwks = md ? (*md)->jwks_uri : std::string();
  return keySets_->verify(token, providerJwks, policy_.issuer);
}

BearerResult BearerVerifier::verify(std::string_view token, bool memoryOnly) {
  BearerResult out;
  auto jwt = cache_.find(token, clock_);
  if (!jwt && memoryOnly) {
    out.outcome = BearerOutcome::kWouldBlock;
    return out;
  }
  if (!jwt) {
    auto r = provider_.withKeys<jose::VerifiedJwt>(
        [&](const jose::KeyStore& keys) { return jose::verifyJwt(token, keys, policy_, clock_); });
    if (!r) r = verifyWithKeySets(token, r.error());
    if (!r) {
      out.error = r.error();
      out.outcome =
          isTokenError(r.error()) ? BearerOutcome::kInvalidToken : BearerOutcome::kUnavailable;
      return out;
    }
    jwt = std::make_shared<const jose::VerifiedJwt>(std::move(*r));
    cache_.insert(token, jwt, clock_);
  }
  // API rules (scope, permissions) on the token's own claims.
  auto decision = oidc::evaluateApiAccess(access_, jwt->claims);
  if (!decision) {
    out.outcome = BearerOutcome::kInsufficientScope;
    out.error = decision.reason;
    return out;
  }
  out.outcome = BearerOutcome::kValid;
  out.jwt = std::move(jwt);
  return out;
}

}  // namespace authgate::rp
