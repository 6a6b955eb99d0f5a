#include "authgate/jose/sign.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <boost/json/serialize.hpp>
#include <memory>

#include "authgate/core/base64url.h"
#include "authgate/core/crypto.h"
#include "authgate/jose/errc.h"
#include "jose/openssl_ptr.h"

namespace authgate::jose {
namespace {

namespace bj = boost::json;

constexpr std::size_t kEs256Coordinate = 32;
constexpr int kMinRsaBits = 2048;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::string bnParam(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return {};
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

// The public JWK members of an RSA or P-256 key (RFC 7518 s6.2.1, s6.3.1).
Result<bj::object> publicMembers(const EVP_PKEY* key) {
  bj::object jwk;
  if (EVP_PKEY_is_a(key, "RSA")) {
    auto n = bnParam(key, OSSL_PKEY_PARAM_RSA_N);
    auto e = bnParam(key, OSSL_PKEY_PARAM_RSA_E);
    if (n.empty() || e.empty()) return Errc::kCryptoFailure;
    jwk["kty"] = "RSA";
    jwk["n"] = core::base64urlEncode(n);
    jwk["e"] = core::base64urlEncode(e);
    return jwk;
  }
  unsigned char point[1 + 2 * kEs256Coordinate];
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point,
                                      &len) != 1 ||
      len != sizeof point || point[0] != 0x04) {
    return Errc::kCryptoFailure;
  }
  std::string_view raw(reinterpret_cast<const char*>(point), len);
  jwk["kty"] = "EC";
  jwk["crv"] = "P-256";
  jwk["x"] = core::base64urlEncode(raw.substr(1, kEs256Coordinate));
  jwk["y"] = core::base64urlEncode(raw.substr(1 + kEs256Coordinate, kEs256Coordinate));
  return jwk;
}

std::string member(const bj::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string signingInput(const bj::object& header, const bj::object& payload) {
  return core::base64urlEncode(bj::serialize(header)) + "." +
         core::base64urlEncode(bj::serialize(payload));
}

// DER ECDSA-Sig-Value -> R||S, each left-padded to the coordinate size.
Result<std::string> rawEcdsa(std::string_view der) {
  auto p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return Errc::kCryptoFailure;
  std::string raw(2 * kEs256Coordinate, '\0');
  auto out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kEs256Coordinate) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kEs256Coordinate, kEs256Coordinate) < 0) {
    return Errc::kCryptoFailure;
  }
  return raw;
}

}  // namespace

bool isSigningAlg(Alg alg) {
  return alg == Alg::kRS256 || alg == Alg::kPS256 || alg == Alg::kES256;
}

std::string jwkThumbprint(const bj::object& jwk) {
  // RFC 7638 s3.2: the required members in lexicographic order, no whitespace; the
  // values are base64url strings, which serialize without escapes.
  std::string canonical;
  if (member(jwk, "kty") == "RSA") {
    canonical =
        R"({"e":")" + member(jwk, "e") + R"(","kty":"RSA","n":")" + member(jwk, "n") + R"("})";
  } else {
    canonical = R"({"crv":")" + member(jwk, "crv") + R"(","kty":"EC","x":")" + member(jwk, "x") +
                R"(","y":")" + member(jwk, "y") + R"("})";
  }
  auto digest = core::sha256(canonical);
  return core::base64urlEncode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

Result<SigningKey> loadSigningKey(std::string_view pem, Alg alg, std::string kid) {
  if (!isSigningAlg(alg)) return Errc::kUnsupportedAlg;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Errc::kCryptoFailure;
  // No passphrase callback: an encrypted key fails to load instead of prompting.
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return Errc::kBadPrivateKey;
  SigningKey key;
  key.alg = alg;
  key.pkey = wrapEvpPkey(raw);
  if (alg == Alg::kES256) {
    char group[32] = {};
    std::size_t len = 0;
    if (!EVP_PKEY_is_a(raw, "EC") ||
        EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1 ||
        std::string_view(group, len) != "prime256v1") {
      return Errc::kKeyAlgMismatch;
    }
  } else {
    if (!EVP_PKEY_is_a(raw, "RSA")) return Errc::kKeyAlgMismatch;
    if (EVP_PKEY_get_bits(raw) < kMinRsaBits) return Errc::kWeakRsaKey;
  }
  auto members = publicMembers(raw);
  if (!members) return members.error();
  key.kid = kid.empty() ? jwkThumbprint(*members) : std::move(kid);
  key.publicJwk = std::move(*members);
  key.publicJwk["kid"] = key.kid;
  key.publicJwk["alg"] = std::string(algName(alg));
  key.publicJwk["use"] = "sig";
  return key;
}

Result<SigningKey> generateSigningKey(Alg alg) {
  if (!isSigningAlg(alg)) return Errc::kUnsupportedAlg;
  EVP_PKEY* raw = alg == Alg::kES256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  if (raw == nullptr) return Errc::kCryptoFailure;
  auto owned = wrapEvpPkey(raw);
  // Through PEM, so a generated key gets exactly the checks and JWK of a loaded one.
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), raw, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Errc::kCryptoFailure;
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return Errc::kCryptoFailure;
  auto key = loadSigningKey(std::string_view(data, static_cast<std::size_t>(len)), alg);
  OPENSSL_cleanse(data, static_cast<std::size_t>(len));
  return key;
}

Result<std::string> signCompactJws(const SigningKey& key, bj::object header,
                                   const bj::object& payload, KidHeader kid) {
  header["alg"] = std::string(algName(key.alg));
  if (kid == KidHeader::kInclude) header["kid"] = key.kid;
  const std::string input = signingInput(header, payload);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.pkey.get()) != 1) {
    return Errc::kCryptoFailure;
  }
  if (key.alg == Alg::kPS256 &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return Errc::kCryptoFailure;
  }
  auto in = reinterpret_cast<const unsigned char*>(input.data());
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) return Errc::kCryptoFailure;
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1) {
    return Errc::kCryptoFailure;
  }
  sig.resize(len);
  if (key.alg == Alg::kES256) {
    auto r = rawEcdsa(sig);
    if (!r) return r.error();
    sig = std::move(*r);
  }
  return input + "." + core::base64urlEncode(sig);
}

Result<std::string> signCompactJwsHs256(std::string_view secret, bj::object header,
                                        const bj::object& payload) {
  constexpr std::size_t kMinSecret = 32;  // RFC 7518 s3.2: at least the hash output
  if (secret.size() < kMinSecret) return Errc::kSharedSecretTooShort;
  header["alg"] = "HS256";
  const std::string input = signingInput(header, payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
           &len) == nullptr) {
    return Errc::kCryptoFailure;
  }
  return input + "." +
         core::base64urlEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace authgate::jose
