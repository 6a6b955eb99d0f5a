// JWT verification (RFC 7519, RFC 8725 best current practice): one entry point that
// parses, picks a key, verifies the signature and then applies the claim rules of a
// VerifyPolicy. Each rule is a small named function with its own error code, also
// usable on its own; verifyJwtReport runs them all and records each outcome for
// `authgate token verify`.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/error.h"
#include "authgate/core/secret.h"
#include "authgate/jose/jwk.h"
#include "authgate/jose/jws.h"

namespace authgate::jose {

struct VerifyPolicy {
  // iss must equal this exactly (OIDC Core s3.1.3.7 item 2). Auth0's ends with '/'.
  // Empty fails closed.
  std::string issuer;
  // aud (string or array) must contain at least one of these. Empty fails closed.
  std::vector<std::string> audiences;
  // The client this token was issued to. When set, azp must equal it when present,
  // and must be present when aud has several values (OIDC Core s3.1.3.7 items 4-5).
  std::string clientId;
  std::vector<Alg> allowedAlgs{Alg::kRS256};
  // For HS256/384/512 only: the shared secret (Auth0 signs HS256 ID tokens with the
  // client secret). Never derived from any JWK.
  core::Secret sharedSecret;
  std::chrono::seconds leeway{60};
  // Accepted typ header values, compared case-insensitively with an optional
  // "application/" prefix (RFC 7515 s4.1.9). Empty: any typ, or none.
  std::vector<std::string> allowedTypes;
  bool typRequired = false;
  std::optional<std::string> nonce;            // OIDC Core s3.1.3.7 item 11
  std::optional<std::chrono::seconds> maxAge;  // OIDC Core s3.1.3.7 item 13
  std::vector<std::string> requiredClaims;     // must be present (any value)
  std::vector<std::string> understoodCrit;     // RFC 7515 s4.1.11; none by default
  bool requireExp = true;
  // Only for a key set the operator trusts as a whole (provider.jwks_urls: OpenMetadata's
  // own bot and ingestion JWTs, which name no audience): the signature of one of those
  // keys is the trust, so iss (any string, still required) and aud are not compared.
  // Never for the provider's keys, whose tokens for other clients and APIs must not pass.
  bool trustKeySetIssuer = false;
  JwsLimits limits;

  // Presets for the three kinds of token authgate verifies.
  // ID token: aud must contain clientId; sub, iat and exp required.
  static VerifyPolicy idToken(std::string issuer, std::string clientId);
  // RFC 9068 access token: typ at+jwt required; sub, client_id, iat, exp, jti.
  static VerifyPolicy accessToken(std::string issuer, std::string audience);
  // Back-channel logout token (OIDC Back-Channel Logout s2.4): typ logout+jwt or JWT
  // (Auth0 sends JWT); iat, jti and events required; exp optional.
  static VerifyPolicy logoutToken(std::string issuer, std::string clientId);
};

struct VerifiedJwt {
  boost::json::object header;
  boost::json::object claims;
  Alg alg = Alg::kRS256;
  std::string kid;  // kid of the key that verified, empty for HMAC or kid-less keys

  std::optional<std::string> stringClaim(std::string_view name) const;
  std::optional<int64_t> numericClaim(std::string_view name) const;  // NumericDate
};

// --- Claim and header checks. Each returns an empty error_code when satisfied. ---
error_code checkIssuer(const boost::json::object& claims, std::string_view expected);
error_code checkAudience(const boost::json::object& claims,
                         const std::vector<std::string>& accepted);
error_code checkAuthorizedParty(const boost::json::object& claims, std::string_view clientId);
error_code checkExpiry(const boost::json::object& claims, int64_t now, int64_t leeway,
                       bool required);
error_code checkNotBefore(const boost::json::object& claims, int64_t now, int64_t leeway);
error_code checkIssuedAt(const boost::json::object& claims, int64_t now, int64_t leeway);
error_code checkType(const boost::json::object& header, const std::vector<std::string>& allowed,
                     bool required);
error_code checkNonce(const boost::json::object& claims,
                      const std::optional<std::string>& expected);
error_code checkAuthTime(const boost::json::object& claims, int64_t now, int64_t leeway,
                         const std::optional<std::chrono::seconds>& maxAge);
error_code checkRequiredClaims(const boost::json::object& claims,
                               const std::vector<std::string>& required);
// Reads a NumericDate (RFC 7519 s2): an integer or a finite number. kBadClaimType.
Result<int64_t> numericDate(const boost::json::value& v);

// The single entry point. Fails at the first broken rule.
Result<VerifiedJwt> verifyJwt(std::string_view token, const KeyStore& keys,
                              const VerifyPolicy& policy, const core::Clock& clock);

// Signature only (RFC test vectors, non-JWT payloads): returns the decoded payload.
Result<std::string> verifyJwsSignature(std::string_view token, const KeyStore& keys,
                                       const std::vector<Alg>& allowed,
                                       const core::Secret& sharedSecret = {});

enum class CheckStatus { kPassed, kFailed, kSkipped };

struct CheckOutcome {
  std::string name;  // "alg", "crit", "typ", "key", "signature", "iss", "aud", ...
  CheckStatus status = CheckStatus::kSkipped;
  error_code error;  // set when failed
};

// Every check's outcome. Header and claims are filled whenever they could be decoded,
// even when the signature failed: print them as UNVERIFIED in that case.
struct VerifyReport {
  std::vector<CheckOutcome> checks;
  std::optional<boost::json::object> header;
  std::optional<boost::json::object> claims;
  bool signatureVerified = false;
  error_code firstError;  // empty when the token is valid
  bool valid() const { return !firstError; }
};

VerifyReport verifyJwtReport(std::string_view token, const KeyStore& keys,
                             const VerifyPolicy& policy, const core::Clock& clock);

std::string_view checkStatusName(CheckStatus s);

}  // namespace authgate::jose
