// Signing what authgate sends (client assertions): keys from PEM, RFC 7638 thumbprints,
// and signatures that authgate's own verifier (and so any JOSE implementation) accepts.
#include "authgate/jose/sign.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "authgate/jose/errc.h"
#include "test_signer.h"

namespace authgate::jose {
namespace {

std::string privatePem(const EVP_PKEY* key, bool encrypted = false) {
  BIO* bio = BIO_new(BIO_s_mem());
  const char* pass = "pw";
  PEM_write_bio_PrivateKey(bio, key, encrypted ? EVP_aes_128_cbc() : nullptr,
                           encrypted ? reinterpret_cast<const unsigned char*>(pass) : nullptr,
                           encrypted ? 2 : 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

boost::json::object claims() {
  boost::json::object c;
  c["iss"] = "client-1";
  c["exp"] = 1'700'000'060;
  return c;
}

// Signs, then verifies with authgate's verifier and the key's own public JWK.
void expectRoundTrip(const SigningKey& key, Alg alg, size_t signatureBytes) {
  auto jwt = signCompactJws(key, {}, claims());
  ASSERT_TRUE(jwt) << jwt.error().message();
  auto jws = parseCompactJws(*jwt);
  ASSERT_TRUE(jws);
  EXPECT_EQ(jws->algName, algName(alg));
  EXPECT_EQ(jws->kid, key.kid);
  EXPECT_EQ(jws->signature.size(), signatureBytes);
  auto pub = parseJwk(key.publicJwk);
  ASSERT_TRUE(pub) << pub.error().message();
  EXPECT_FALSE(verifyAsymmetric(*jws, alg, *pub));
  EXPECT_EQ(boost::json::parse(jws->payload).as_object(), claims());
}

TEST(SigningKey, Rs256Ps256AndEs256SignaturesVerify) {
  auto rsa = testing::makeRsaKey(2048, "");
  auto ec = testing::makeEcKey("P-256", "");
  auto rs = loadSigningKey(privatePem(rsa.pkey.get()), Alg::kRS256);
  ASSERT_TRUE(rs);
  expectRoundTrip(*rs, Alg::kRS256, 256);
  auto ps = loadSigningKey(privatePem(rsa.pkey.get()), Alg::kPS256);
  ASSERT_TRUE(ps);
  expectRoundTrip(*ps, Alg::kPS256, 256);
  auto es = loadSigningKey(privatePem(ec.pkey.get()), Alg::kES256);
  ASSERT_TRUE(es);
  expectRoundTrip(*es, Alg::kES256, 64);  // raw R||S, RFC 7518 s3.4
}

TEST(SigningKey, KidIsTheThumbprintUnlessConfigured) {
  auto rsa = testing::makeRsaKey(2048, "");
  auto derived = loadSigningKey(privatePem(rsa.pkey.get()), Alg::kRS256);
  ASSERT_TRUE(derived);
  EXPECT_EQ(derived->kid, jwkThumbprint(rsa.jwk));
  EXPECT_EQ(derived->kid.size(), 43u);  // base64url SHA-256
  auto configured = loadSigningKey(privatePem(rsa.pkey.get()), Alg::kRS256, "cred-1");
  ASSERT_TRUE(configured);
  EXPECT_EQ(configured->kid, "cred-1");
  EXPECT_EQ(configured->publicJwk.at("kid").as_string(), "cred-1");
}

TEST(SigningKey, PublicJwkHasNoPrivateMembers) {
  auto rsa = testing::makeRsaKey(2048, "");
  auto key = loadSigningKey(privatePem(rsa.pkey.get()), Alg::kPS256);
  ASSERT_TRUE(key);
  for (const char* m : {"d", "p", "q", "dp", "dq", "qi"}) EXPECT_FALSE(key->publicJwk.contains(m));
  EXPECT_EQ(key->publicJwk.at("n"), rsa.jwk.at("n"));
  EXPECT_EQ(key->publicJwk.at("alg").as_string(), "PS256");
  EXPECT_EQ(key->publicJwk.at("use").as_string(), "sig");
  auto ec = testing::makeEcKey("P-256", "");
  auto es = loadSigningKey(privatePem(ec.pkey.get()), Alg::kES256);
  ASSERT_TRUE(es);
  EXPECT_FALSE(es->publicJwk.contains("d"));
  EXPECT_EQ(es->publicJwk.at("x"), ec.jwk.at("x"));
  EXPECT_EQ(es->publicJwk.at("y"), ec.jwk.at("y"));
}

TEST(SigningKey, RefusesKeysThatDoNotFitTheAlgorithm) {
  auto rsa = privatePem(testing::makeRsaKey(2048, "").pkey.get());
  auto ec256 = privatePem(testing::makeEcKey("P-256", "").pkey.get());
  auto ec384 = privatePem(testing::makeEcKey("P-384", "").pkey.get());
  auto weak = privatePem(testing::makeRsaKey(1024, "").pkey.get());
  EXPECT_EQ(loadSigningKey(ec256, Alg::kRS256).error(), Errc::kKeyAlgMismatch);
  EXPECT_EQ(loadSigningKey(rsa, Alg::kES256).error(), Errc::kKeyAlgMismatch);
  EXPECT_EQ(loadSigningKey(ec384, Alg::kES256).error(), Errc::kKeyAlgMismatch);
  EXPECT_EQ(loadSigningKey(weak, Alg::kRS256).error(), Errc::kWeakRsaKey);
  EXPECT_EQ(loadSigningKey(rsa, Alg::kHS256).error(), Errc::kUnsupportedAlg);
  EXPECT_EQ(loadSigningKey(rsa, Alg::kRS384).error(), Errc::kUnsupportedAlg);
}

TEST(SigningKey, RefusesWhatIsNotAnUnencryptedPrivateKey) {
  auto rsa = testing::makeRsaKey(2048, "");
  EXPECT_EQ(loadSigningKey("", Alg::kRS256).error(), Errc::kBadPrivateKey);
  EXPECT_EQ(
      loadSigningKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", Alg::kRS256)
          .error(),
      Errc::kBadPrivateKey);
  EXPECT_EQ(loadSigningKey(testing::publicPem(rsa.pkey.get()), Alg::kRS256).error(),
            Errc::kBadPrivateKey);
  EXPECT_EQ(loadSigningKey(privatePem(rsa.pkey.get(), true), Alg::kRS256).error(),
            Errc::kBadPrivateKey);
}

TEST(Thumbprint, Rfc7638Section3_1Example) {
  boost::json::object jwk;
  jwk["kty"] = "RSA";
  jwk["e"] = "AQAB";
  jwk["alg"] = "RS256";  // not a required member: ignored
  jwk["kid"] = "2011-04-29";
  jwk["n"] =
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
      "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
      "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
      "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
  EXPECT_EQ(jwkThumbprint(jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(Hs256, SignsWithTheSecretAndRefusesShortOnes) {
  const std::string secret(32, 's');
  auto jwt = signCompactJwsHs256(secret, {}, claims());
  ASSERT_TRUE(jwt);
  auto jws = parseCompactJws(*jwt);
  ASSERT_TRUE(jws);
  EXPECT_EQ(jws->algName, "HS256");
  EXPECT_FALSE(verifyHmac(*jws, Alg::kHS256, secret));
  EXPECT_TRUE(verifyHmac(*jws, Alg::kHS256, std::string(32, 't')));
  EXPECT_EQ(signCompactJwsHs256(std::string(31, 's'), {}, claims()).error(),
            Errc::kSharedSecretTooShort);
}

}  // namespace
}  // namespace authgate::jose
