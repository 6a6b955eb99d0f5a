#include "test_signer.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "authgate/core/base64url.h"

namespace authgate::jose::testing {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

std::string bnBytes(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  check(EVP_PKEY_get_bn_param(key, name, &bn) == 1, "get_bn_param");
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

EvpPkeyPtr keygen(const char* type, OSSL_PARAM* params) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  check(ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1, "keygen_init");
  if (params != nullptr) check(EVP_PKEY_CTX_set_params(ctx, params) == 1, "set_params");
  EVP_PKEY* k = nullptr;
  check(EVP_PKEY_generate(ctx, &k) == 1, "generate");
  EVP_PKEY_CTX_free(ctx);
  return wrapEvpPkey(k);
}

const EVP_MD* mdFor(Alg alg) {
  switch (alg) {
    case Alg::kRS256:
    case Alg::kPS256:
    case Alg::kES256:
    case Alg::kHS256:
      return EVP_sha256();
    case Alg::kRS384:
    case Alg::kPS384:
    case Alg::kES384:
    case Alg::kHS384:
      return EVP_sha384();
    case Alg::kRS512:
    case Alg::kPS512:
    case Alg::kES512:
    case Alg::kHS512:
      return EVP_sha512();
    case Alg::kEdDSA:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

std::string b64(std::string_view s) { return core::base64urlEncode(s); }
std::string jsonText(const boost::json::object& o) { return boost::json::serialize(o); }

TestKey makeRsaKey(int bits, std::string kid) {
  size_t b = static_cast<size_t>(bits);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &b),
                         OSSL_PARAM_construct_end()};
  TestKey k{keygen("RSA", params), {}};
  k.jwk["kty"] = "RSA";
  k.jwk["n"] = b64(bnBytes(k.pkey.get(), OSSL_PKEY_PARAM_RSA_N));
  k.jwk["e"] = b64(bnBytes(k.pkey.get(), OSSL_PKEY_PARAM_RSA_E));
  if (!kid.empty()) k.jwk["kid"] = kid;
  return k;
}

TestKey makeEcKey(std::string_view crv, std::string kid) {
  std::string group = crv == "P-256" ? "prime256v1" : crv == "P-384" ? "secp384r1" : "secp521r1";
  size_t coord = crv == "P-256" ? 32 : crv == "P-384" ? 48 : 66;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group.data(), 0),
      OSSL_PARAM_construct_end()};
  TestKey k{keygen("EC", params), {}};
  unsigned char buf[200];
  size_t len = 0;
  check(EVP_PKEY_get_octet_string_param(k.pkey.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
                                        sizeof buf, &len) == 1 &&
            len == 1 + 2 * coord,
        "ec pub");
  std::string pt(reinterpret_cast<char*>(buf), len);
  k.jwk["kty"] = "EC";
  k.jwk["crv"] = std::string(crv);
  k.jwk["x"] = b64(pt.substr(1, coord));
  k.jwk["y"] = b64(pt.substr(1 + coord, coord));
  if (!kid.empty()) k.jwk["kid"] = kid;
  return k;
}

TestKey makeEd25519Key(std::string kid) {
  TestKey k{keygen("ED25519", nullptr), {}};
  unsigned char raw[32];
  size_t len = sizeof raw;
  check(EVP_PKEY_get_raw_public_key(k.pkey.get(), raw, &len) == 1, "ed raw");
  k.jwk["kty"] = "OKP";
  k.jwk["crv"] = "Ed25519";
  k.jwk["x"] = b64(std::string(reinterpret_cast<char*>(raw), len));
  if (!kid.empty()) k.jwk["kid"] = kid;
  return k;
}

std::string signCompact(Alg alg, const EVP_PKEY* key, std::string_view headerJson,
                        std::string_view payloadJson) {
  std::string input = b64(headerJson) + "." + b64(payloadJson);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  check(EVP_DigestSignInit(ctx, &pctx, mdFor(alg), nullptr, const_cast<EVP_PKEY*>(key)) == 1,
        "sign init");
  if (alg == Alg::kPS256 || alg == Alg::kPS384 || alg == Alg::kPS512) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  auto in = reinterpret_cast<const unsigned char*>(input.data());
  check(EVP_DigestSign(ctx, nullptr, &len, in, input.size()) == 1, "sign len");
  std::string sig(len, '\0');
  check(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) ==
            1,
        "sign");
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (alg == Alg::kES256 || alg == Alg::kES384 || alg == Alg::kES512) {
    size_t coord = alg == Alg::kES256 ? 32 : alg == Alg::kES384 ? 48 : 66;
    auto p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    check(es != nullptr, "d2i");
    std::string raw(2 * coord, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()),
                 static_cast<int>(coord));
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data() + coord),
                 static_cast<int>(coord));
    ECDSA_SIG_free(es);
    sig = raw;
  }
  return input + "." + b64(sig);
}

std::string hmacCompact(Alg alg, std::string_view secret, std::string_view headerJson,
                        std::string_view payloadJson) {
  std::string input = b64(headerJson) + "." + b64(payloadJson);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(mdFor(alg), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + b64(std::string(reinterpret_cast<char*>(mac), len));
}

std::string jwksOf(std::initializer_list<const boost::json::object*> keys) {
  boost::json::array arr;
  for (const auto* k : keys) arr.push_back(*k);
  boost::json::object doc;
  doc["keys"] = std::move(arr);
  return boost::json::serialize(doc);
}

std::string publicPem(const EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  check(PEM_write_bio_PUBKEY(bio, key) == 1, "pem");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string publicDer(const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  check(n > 0, "der");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace authgate::jose::testing
