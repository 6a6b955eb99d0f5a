// JWS Compact Serialization (RFC 7515 s7.1): parsing and signature verification on
// OpenSSL 3 EVP. The cryptography is OpenSSL's; the parsing and the rules are ours.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/error.h"
#include "authgate/jose/jwk.h"

namespace authgate::jose {

// The JWS algorithms authgate verifies (RFC 7518 s3.1, RFC 8037 s3.1). "none" is not
// one of them and never will be.
enum class Alg {
  kRS256,
  kRS384,
  kRS512,
  kPS256,
  kPS384,
  kPS512,
  kES256,
  kES384,
  kES512,
  kEdDSA,
  kHS256,
  kHS384,
  kHS512,
};

std::optional<Alg> algFromName(std::string_view name);
std::string_view algName(Alg alg);
bool isHmacAlg(Alg alg);

struct JwsLimits {
  size_t maxTokenBytes = 16 * 1024;
  size_t maxHeaderBytes = 2 * 1024;    // decoded protected header
  size_t maxPayloadBytes = 12 * 1024;  // decoded payload (JWT claims)
};

// A parsed compact JWS. The views point into the token passed to parseCompactJws,
// which must outlive this object.
struct CompactJws {
  boost::json::object header;
  std::string algName;            // the header's alg, verbatim
  std::optional<Alg> alg;         // empty when unsupported or "none"
  std::string kid;                // empty when absent
  std::string_view signingInput;  // ASCII(BASE64URL(header) '.' BASE64URL(payload))
  std::string_view encodedPayload;
  std::string payload;    // decoded
  std::string signature;  // decoded
};

// Structure, size, strict base64url and strict JSON. Does not judge the alg beyond
// requiring a string (see checkAlg). Errors: kTokenTooLarge, kMalformedToken,
// kHeaderTooLarge, kClaimsTooLarge, kBadBase64url, kBadJson, kDuplicateJsonMember, kNotJsonObject,
// kMissingAlg.
Result<CompactJws> parseCompactJws(std::string_view token, const JwsLimits& limits = {});

// The decoded payload (already checked against limits.maxPayloadBytes when parsed).
Result<std::string> decodePayload(const CompactJws& jws, const JwsLimits& limits = {});

// "none" (any case) -> kAlgNone; unknown -> kUnsupportedAlg; not in `allowed` ->
// kAlgNotAllowed (RFC 8725 s3.1: each use has its own allow-list).
Result<Alg> checkAlg(const CompactJws& jws, const std::vector<Alg>& allowed);

// RFC 7515 s4.1.11: a crit parameter names extensions that must be understood; any
// name outside `understood` (empty by default) fails, as does a malformed crit.
error_code checkCrit(const boost::json::object& header, const std::vector<std::string>& understood);

// Whether `key` may verify `alg`: kty and crv fit, and the key's own alg/use/key_ops
// (already vetted by parseJwk) agree. HMAC algs never fit a JWK. kKeyAlgMismatch.
error_code checkKeyFitsAlg(const Jwk& key, Alg alg);

// Verifies signingInput/signature with one asymmetric key: kBadSignatureLength,
// kBadSignature, kKeyAlgMismatch, kCryptoFailure. ES* signatures are raw R||S of
// exactly twice the coordinate size (RFC 7518 s3.4).
error_code verifyAsymmetric(const CompactJws& jws, Alg alg, const Jwk& key);

// HS256/384/512 with a configured shared secret (RFC 7518 s3.2). The secret must be
// at least as long as the hash output (kSharedSecretTooShort); comparison is
// constant-time.
error_code verifyHmac(const CompactJws& jws, Alg alg, std::string_view secret);

// Picks the keys that may verify this token and tries them (kid match first, then
// keys without a kid). Errors: kUnknownKid, kNoMatchingKey, kKeyAlgMismatch, and
// the signature errors above. `usedKid` receives the kid of the key that verified.
error_code verifyWithKeyStore(const CompactJws& jws, Alg alg, const KeyStore& keys,
                              std::string* usedKid = nullptr);

}  // namespace authgate::jose
