#include "authgate/jose/errc.h"

namespace authgate::core {

using jose::Errc;

std::string_view ErrcTraits<Errc>::name(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kTokenTooLarge:
      return "token_too_large";
    case Errc::kMalformedToken:
      return "malformed_token";
    case Errc::kBadBase64url:
      return "bad_base64url";
    case Errc::kHeaderTooLarge:
      return "header_too_large";
    case Errc::kClaimsTooLarge:
      return "claims_too_large";
    case Errc::kBadJson:
      return "bad_json";
    case Errc::kDuplicateJsonMember:
      return "duplicate_json_member";
    case Errc::kNotJsonObject:
      return "not_json_object";
    case Errc::kMissingAlg:
      return "missing_alg";
    case Errc::kAlgNone:
      return "alg_none";
    case Errc::kUnsupportedAlg:
      return "unsupported_alg";
    case Errc::kAlgNotAllowed:
      return "alg_not_allowed";
    case Errc::kCritUnsupported:
      return "crit_unsupported";
    case Errc::kTypMismatch:
      return "typ_mismatch";
    case Errc::kUnknownKid:
      return "unknown_kid";
    case Errc::kNoMatchingKey:
      return "no_matching_key";
    case Errc::kKeyAlgMismatch:
      return "key_alg_mismatch";
    case Errc::kNoSharedSecret:
      return "no_shared_secret";
    case Errc::kSharedSecretTooShort:
      return "shared_secret_too_short";
    case Errc::kBadJwk:
      return "bad_jwk";
    case Errc::kUnsupportedKeyType:
      return "unsupported_key_type";
    case Errc::kWeakRsaKey:
      return "weak_rsa_key";
    case Errc::kEcPointNotOnCurve:
      return "ec_point_not_on_curve";
    case Errc::kUnusableKey:
      return "unusable_key";
    case Errc::kBadPrivateKey:
      return "bad_private_key";
    case Errc::kJwksTooLarge:
      return "jwks_too_large";
    case Errc::kTooManyKeys:
      return "too_many_keys";
    case Errc::kBadJwks:
      return "bad_jwks";
    case Errc::kNoUsableKeys:
      return "no_usable_keys";
    case Errc::kBadSignatureLength:
      return "bad_signature_length";
    case Errc::kBadSignature:
      return "bad_signature";
    case Errc::kCryptoFailure:
      return "crypto_failure";
    case Errc::kBadClaimType:
      return "bad_claim_type";
    case Errc::kIssuerMismatch:
      return "issuer_mismatch";
    case Errc::kAudienceMismatch:
      return "audience_mismatch";
    case Errc::kAzpMissing:
      return "azp_missing";
    case Errc::kAzpMismatch:
      return "azp_mismatch";
    case Errc::kMissingExp:
      return "missing_exp";
    case Errc::kExpired:
      return "expired";
    case Errc::kNotYetValid:
      return "not_yet_valid";
    case Errc::kIatInFuture:
      return "iat_in_future";
    case Errc::kMissingNonce:
      return "missing_nonce";
    case Errc::kNonceMismatch:
      return "nonce_mismatch";
    case Errc::kMissingAuthTime:
      return "missing_auth_time";
    case Errc::kAuthTooOld:
      return "auth_too_old";
    case Errc::kMissingClaim:
      return "missing_claim";
    case Errc::kJwksFetchFailed:
      return "jwks_fetch_failed";
    case Errc::kJwksUnavailable:
      return "jwks_unavailable";
  }
  return "unknown";
}

std::string_view ErrcTraits<Errc>::message(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kTokenTooLarge:
      return "token exceeds the size limit";
    case Errc::kMalformedToken:
      return "not a compact JWS (three base64url parts)";
    case Errc::kBadBase64url:
      return "token part is not strict base64url (no padding, no whitespace)";
    case Errc::kHeaderTooLarge:
      return "JOSE header exceeds the size limit";
    case Errc::kClaimsTooLarge:
      return "JWT claims exceed the size limit";
    case Errc::kBadJson:
      return "invalid JSON";
    case Errc::kDuplicateJsonMember:
      return "JSON object has duplicate member names";
    case Errc::kNotJsonObject:
      return "JSON value is not an object";
    case Errc::kMissingAlg:
      return "header has no alg";
    case Errc::kAlgNone:
      return "alg none is never accepted";
    case Errc::kUnsupportedAlg:
      return "unsupported alg";
    case Errc::kAlgNotAllowed:
      return "alg is not allowed for this use";
    case Errc::kCritUnsupported:
      return "crit names an extension that is not understood";
    case Errc::kTypMismatch:
      return "typ header does not match the expected token type";
    case Errc::kUnknownKid:
      return "no key with the token's kid";
    case Errc::kNoMatchingKey:
      return "no key fits the token's alg";
    case Errc::kKeyAlgMismatch:
      return "key type, curve, alg or use does not fit the token's alg";
    case Errc::kNoSharedSecret:
      return "HMAC alg but no shared secret is configured";
    case Errc::kSharedSecretTooShort:
      return "shared secret is shorter than the hash output";
    case Errc::kBadJwk:
      return "malformed JWK";
    case Errc::kUnsupportedKeyType:
      return "unsupported key type or curve";
    case Errc::kWeakRsaKey:
      return "RSA key is smaller than 2048 bits";
    case Errc::kEcPointNotOnCurve:
      return "EC public key is not a point on its curve";
    case Errc::kUnusableKey:
      return "key is not for signature verification";
    case Errc::kBadPrivateKey:
      return "not an unencrypted PEM private key";
    case Errc::kJwksTooLarge:
      return "JWKS exceeds the size limit";
    case Errc::kTooManyKeys:
      return "JWKS has too many keys";
    case Errc::kBadJwks:
      return "malformed JWKS";
    case Errc::kNoUsableKeys:
      return "JWKS has no usable signature key";
    case Errc::kBadSignatureLength:
      return "signature has the wrong length for the alg";
    case Errc::kBadSignature:
      return "signature does not verify";
    case Errc::kCryptoFailure:
      return "a cryptographic operation failed";
    case Errc::kBadClaimType:
      return "claim has the wrong JSON type";
    case Errc::kIssuerMismatch:
      return "iss does not match the expected issuer";
    case Errc::kAudienceMismatch:
      return "aud does not contain an accepted audience";
    case Errc::kAzpMissing:
      return "azp is required when there are several audiences";
    case Errc::kAzpMismatch:
      return "azp does not match the client id";
    case Errc::kMissingExp:
      return "exp is missing";
    case Errc::kExpired:
      return "token has expired";
    case Errc::kNotYetValid:
      return "token is not yet valid (nbf)";
    case Errc::kIatInFuture:
      return "iat is in the future";
    case Errc::kMissingNonce:
      return "nonce is missing";
    case Errc::kNonceMismatch:
      return "nonce does not match";
    case Errc::kMissingAuthTime:
      return "auth_time is missing although max_age was requested";
    case Errc::kAuthTooOld:
      return "authentication is older than max_age";
    case Errc::kMissingClaim:
      return "a required claim is missing";
    case Errc::kJwksFetchFailed:
      return "fetching the JWKS failed";
    case Errc::kJwksUnavailable:
      return "no JWKS is available yet";
  }
  return "unknown error";
}

}  // namespace authgate::core
