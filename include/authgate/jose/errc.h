// Error codes of the jose module. Every security check has its own code so logs,
// metrics and `authgate token verify` can say exactly which rule a token broke.
#pragma once

#include "authgate/core/error.h"

namespace authgate::jose {

enum class Errc {
  kOk = 0,
  // Structure and encoding (RFC 7515 s7.1, RFC 7519 s7.2)
  kTokenTooLarge,
  kMalformedToken,  // not three dot-separated parts (JWE and JSON serialization too)
  kBadBase64url,    // padding, whitespace or any non-alphabet character
  kHeaderTooLarge,
  kClaimsTooLarge,
  kBadJson,
  kDuplicateJsonMember,  // RFC 7515 s5.2 step 4: reject duplicate Header Parameter names
  kNotJsonObject,
  // Header rules
  kMissingAlg,
  kAlgNone,
  kUnsupportedAlg,
  kAlgNotAllowed,
  kCritUnsupported,  // RFC 7515 s4.1.11
  kTypMismatch,      // RFC 8725 s3.11, RFC 9068 s2.1
  // Keys
  kUnknownKid,
  kNoMatchingKey,         // no key in the set fits the token's alg
  kKeyAlgMismatch,        // key kty/crv/alg/use/key_ops does not fit the token's alg
  kNoSharedSecret,        // HS* token but no shared secret configured
  kSharedSecretTooShort,  // RFC 7518 s3.2: key at least as long as the hash output
  kBadJwk,
  kUnsupportedKeyType,
  kWeakRsaKey,  // below 2048 bits (RFC 7518 s3.3)
  kEcPointNotOnCurve,
  kUnusableKey,    // use=enc, private-only or otherwise not for verification
  kBadPrivateKey,  // a configured signing key is not an unencrypted PEM private key
  kJwksTooLarge,
  kTooManyKeys,
  kBadJwks,
  kNoUsableKeys,
  // Signature
  kBadSignatureLength,  // e.g. ES256 must be exactly 64 bytes (RFC 7518 s3.4)
  kBadSignature,
  kCryptoFailure,
  // Claims (RFC 7519 s4.1, OIDC Core s3.1.3.7)
  kBadClaimType,
  kIssuerMismatch,
  kAudienceMismatch,
  kAzpMissing,
  kAzpMismatch,
  kMissingExp,
  kExpired,
  kNotYetValid,
  kIatInFuture,
  kMissingNonce,
  kNonceMismatch,
  kMissingAuthTime,
  kAuthTooOld,
  kMissingClaim,
  // JWKS cache
  kJwksFetchFailed,
  kJwksUnavailable,
};

}  // namespace authgate::jose

namespace authgate::core {
template <>
struct ErrcTraits<jose::Errc> {
  static constexpr const char* kCategory = "authgate.jose";
  static std::string_view name(jose::Errc e);
  static std::string_view message(jose::Errc e);
};
}  // namespace authgate::core

AUTHGATE_ERRC(authgate::jose)
