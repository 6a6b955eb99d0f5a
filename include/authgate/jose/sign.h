// JWS signing (RFC 7515 s5.1) for what authgate itself signs: client assertions
// (RFC 7523, OIDC Core s9). A private key is configuration, loaded from PEM; the
// cryptography is OpenSSL 3's, values in and values out (no file or clock here).
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "authgate/core/error.h"
#include "authgate/jose/jwk.h"
#include "authgate/jose/jws.h"

namespace authgate::jose {

// A private signing key with the algorithm it signs with and its kid. Immutable after
// loading; OpenSSL 3 signs concurrently with one EVP_PKEY.
struct SigningKey {
  Alg alg = Alg::kRS256;
  std::string kid;                // the configured one, else the RFC 7638 thumbprint
  EvpPkeyPtr pkey;                // the private key
  boost::json::object publicJwk;  // kty and its members, kid, alg, use: "sig"
};

// The algorithms a SigningKey may use: RS256, PS256 (RSA of 2048 bits or more) and
// ES256 (P-256).
bool isSigningAlg(Alg alg);

// Loads a PEM private key (PKCS#8 "PRIVATE KEY", or "RSA PRIVATE KEY" / "EC PRIVATE
// KEY"; unencrypted) for `alg`. `kid` empty: the RFC 7638 thumbprint of the public key.
// Errors: kBadPrivateKey (not a PEM private key), kUnsupportedAlg (alg not in
// isSigningAlg), kKeyAlgMismatch (an EC key for RS256, an RSA key for ES256, a curve other
// than P-256), kWeakRsaKey (below 2048 bits).
Result<SigningKey> loadSigningKey(std::string_view pem, Alg alg, std::string kid = {});

// The RFC 7638 s3 thumbprint (SHA-256, base64url) of a public RSA or EC JWK: the
// required members only, in lexicographic order, no whitespace.
std::string jwkThumbprint(const boost::json::object& publicJwk);

// A fresh key of `alg` made with OpenSSL's generator (ES256: P-256; RS256/PS256: RSA
// 2048), for keys that never leave the process (the DPoP key without a key file).
// kUnsupportedAlg, kCryptoFailure.
Result<SigningKey> generateSigningKey(Alg alg);

// Whether a JWS header names the key by its kid. A DPoP proof carries the public key
// itself (jwk) and needs no kid.
enum class KidHeader { kInclude, kOmit };

// BASE64URL(header).BASE64URL(payload).BASE64URL(signature). `header` gets "alg" (and
// "kid" from the key, unless kOmit) set; ES256 signatures are raw R||S (RFC 7518 s3.4).
// kCryptoFailure.
Result<std::string> signCompactJws(const SigningKey& key, boost::json::object header,
                                   const boost::json::object& payload,
                                   KidHeader kid = KidHeader::kInclude);

// The same with HS256 over a shared secret (RFC 7518 s3.2): the secret must be at least
// 32 bytes (kSharedSecretTooShort).
Result<std::string> signCompactJwsHs256(std::string_view secret, boost::json::object header,
                                        const boost::json::object& payload);

}  // namespace authgate::jose
