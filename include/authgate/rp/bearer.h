// Bearer access tokens for APIs (RFC 6750): reading the Authorization header and
// verifying the token as an access-token JWT for one of the API audiences (RFC 9068;
// Auth0 access tokens), with a bounded cache of already verified tokens so an API client
// that repeats its token costs one SHA-256 instead of a signature check. Tokens whose
// key the provider does not have may be tried against other trusted key sets
// (RelyingPartySettings::trustedJwksUrls).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/error.h"
#include "authgate/jose/jwt.h"
#include "authgate/jose/verified_token_cache.h"
#include "authgate/oidc/access.h"
#include "authgate/rp/provider_client.h"

namespace authgate::rp {

enum class AuthorizationKind {
  kNone,             // no Authorization header
  kBearer,           // "Bearer <b64token>" (RFC 6750 s2.1)
  kMalformedBearer,  // the Bearer scheme with an empty or non-b64token credential
  kOther,            // another scheme (Basic, ...): not ours to judge
};

struct AuthorizationHeader {
  AuthorizationKind kind = AuthorizationKind::kNone;
  std::string_view token;  // for kBearer; a view into the header value
};

// The auth-scheme is case-insensitive (RFC 9110 s11.1); one or more spaces follow it.
AuthorizationHeader parseAuthorization(std::string_view value);

enum class BearerOutcome {
  kValid,
  kInvalidToken,       // 401, WWW-Authenticate error="invalid_token" (RFC 6750 s3.1)
  kInsufficientScope,  // 403, error="insufficient_scope" (the access rules' scopes/permissions)
  kUnavailable,        // the provider's keys could not be loaded: 503, never a 401
  kWouldBlock,         // not in the verified-token cache and the caller must not wait
};

struct BearerResult {
  BearerOutcome outcome = BearerOutcome::kInvalidToken;
  std::shared_ptr<const jose::VerifiedJwt> jwt;  // set when kValid
  error_code error;  // why not valid: its errorName() is the error_description
};

class TrustedKeySets;

class BearerVerifier {
 public:
  // `policy`: oidc::accessTokenPolicy(issuer, audiences, algs, skew). `trustedJwksUrls`:
  // other key sets a token whose key the provider does not have may be signed by (their
  // tokens need only an iss, a sub and the algorithm, skew and exp rules).
  BearerVerifier(ProviderClient& provider, jose::VerifyPolicy policy, oidc::AccessPolicy access,
                 const core::Clock& clock, const std::vector<std::string>& trustedJwksUrls = {},
                 std::size_t cacheCapacity = 16384);
  ~BearerVerifier();
  BearerVerifier(const BearerVerifier&) = delete;
  BearerVerifier& operator=(const BearerVerifier&) = delete;

  // Thread-safe. Never logs the token. With `memoryOnly` only a token verified recently
  // (in the cache) is answered; any other is kWouldBlock, with nothing done.
  BearerResult verify(std::string_view token, bool memoryOnly = false);

 private:
  Result<jose::VerifiedJwt> verifyWithKeySets(std::string_view token, const error_code& strict);

  ProviderClient& provider_;
  const jose::VerifyPolicy policy_;
  const oidc::AccessPolicy access_;
  const core::Clock& clock_;
  jose::VerifiedTokenCache cache_;
  std::unique_ptr<TrustedKeySets> keySets_;
};

}  // namespace authgate::rp
