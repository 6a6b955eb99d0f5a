// JSON Web Keys (RFC 7517) turned into ready-to-use OpenSSL EVP_PKEY objects.
//
// Only public signature-verification keys are accepted: RSA (>= 2048 bits), EC
// P-256/P-384/P-521 (point checked to be on the curve) and OKP Ed25519. Symmetric
// ("oct") keys are never taken from a JWKS: an HMAC secret is configuration, never
// something fetched, which is what rules out RSA-key-as-HMAC-secret confusion.
#pragma once

#include <openssl/types.h>

#include <boost/json/object.hpp>
#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/error.h"

namespace authgate::jose {

enum class KeyType { kRsa, kEc, kOkp };

// Shared, immutable EVP_PKEY. OpenSSL 3 allows concurrent verification with one key.
using EvpPkeyPtr = std::shared_ptr<EVP_PKEY>;
EvpPkeyPtr wrapEvpPkey(EVP_PKEY* raw);  // takes ownership (EVP_PKEY_free on release)

class VerifyContexts;  // src/jose/verify_contexts.h

struct Jwk {
  KeyType type = KeyType::kRsa;
  std::string kid;  // empty when the JWK has none
  std::string alg;  // empty when absent
  std::string use;  // empty when absent, else "sig"
  std::string crv;  // "P-256", "P-384", "P-521" or "Ed25519"
  int bits = 0;     // RSA modulus or curve size
  EvpPkeyPtr pkey;
  // Verification contexts set up for pkey, one per algorithm on first use, then copied
  // for every token: setting one up costs about 2 us of an RS256 verify, a copy 0.2 us.
  // parseJwk sets it; a Jwk built without it verifies the same way, only slower.
  std::shared_ptr<VerifyContexts> contexts;
};

// Parses one JWK object. Errors: kBadJwk (missing/ill-typed members, bad base64url,
// wrong coordinate length), kUnsupportedKeyType (oct, unknown kty or crv),
// kUnusableKey (use other than sig, key_ops without verify, non-signature alg),
// kWeakRsaKey, kEcPointNotOnCurve.
Result<Jwk> parseJwk(const boost::json::object& jwk);
Result<Jwk> parseJwk(std::string_view json);

struct SkippedKey {
  std::string kid;
  error_code reason;
};

// An immutable set of verification keys indexed by kid. Keys without a kid are kept
// and tried for tokens whose kid matches nothing else.
class KeyStore {
 public:
  KeyStore() = default;
  explicit KeyStore(std::vector<Jwk> keys, std::vector<SkippedKey> skipped = {});

  const std::vector<Jwk>& keys() const { return keys_; }
  const std::vector<SkippedKey>& skipped() const { return skipped_; }
  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  bool containsKid(std::string_view kid) const;
  // Indices into keys() of the keys whose kid equals `kid`; no allocation.
  std::span<const size_t> indicesWithKid(std::string_view kid) const;
  // Keys whose kid equals `kid` (in set order).
  std::vector<const Jwk*> withKid(std::string_view kid) const;
  // Keys that have no kid.
  std::vector<const Jwk*> withoutKid() const;

 private:
  std::vector<Jwk> keys_;
  std::vector<SkippedKey> skipped_;
  std::map<std::string, std::vector<size_t>, std::less<>> byKid_;
};

struct JwksLimits {
  size_t maxBytes = 256 * 1024;
  size_t maxKeys = 50;
};

// Parses a JWK Set (RFC 7517 s5). Unusable members (use=enc, unknown kty, weak or
// broken keys) are skipped and listed in skipped(); the rest are kept. Errors:
// kJwksTooLarge, kBadJson/kDuplicateJsonMember, kBadJwks (no "keys" array),
// kTooManyKeys, kNoUsableKeys (every member was skipped).
Result<KeyStore> parseJwks(std::string_view json, const JwksLimits& limits = {});

}  // namespace authgate::jose
