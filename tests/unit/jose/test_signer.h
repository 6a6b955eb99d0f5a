// Test-side signing: generates keys with OpenSSL and produces compact JWSs, so the
// rejection tests can build exactly the malformed or hostile token they need.
#pragma once

#include <openssl/types.h>

#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "authgate/jose/jwk.h"
#include "authgate/jose/jws.h"

namespace authgate::jose::testing {

struct TestKey {
  EvpPkeyPtr pkey;
  boost::json::object jwk;  // public JWK (kty, n/e or crv/x/y, kid if given)
};

TestKey makeRsaKey(int bits, std::string kid);
TestKey makeEcKey(std::string_view crv, std::string kid);  // P-256, P-384, P-521
TestKey makeEd25519Key(std::string kid);

std::string b64(std::string_view s);
std::string jsonText(const boost::json::object& o);

// BASE64URL(header).BASE64URL(payload).BASE64URL(sig) with the given texts verbatim.
std::string signCompact(Alg alg, const EVP_PKEY* key, std::string_view headerJson,
                        std::string_view payloadJson);
std::string hmacCompact(Alg alg, std::string_view secret, std::string_view headerJson,
                        std::string_view payloadJson);

// A JWKS document holding the given public JWKs.
std::string jwksOf(std::initializer_list<const boost::json::object*> keys);

// The SubjectPublicKeyInfo of `key`, PEM and DER, for alg-confusion tests.
std::string publicPem(const EVP_PKEY* key);
std::string publicDer(const EVP_PKEY* key);

}  // namespace authgate::jose::testing
