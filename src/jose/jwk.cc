#include "authgate/jose/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "authgate/core/base64url.h"
#include "authgate/jose/errc.h"
#include "authgate/jose/json.h"
#include "authgate/jose/jws.h"
#include "jose/verify_contexts.h"

namespace authgate::jose {
namespace {

namespace bj = boost::json;

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// RSA moduli above this size only make verification slow (a cheap DoS lever).
constexpr int kMaxRsaBits = 8192;
constexpr int kMinRsaBits = 2048;

// Reads an optional string member. Present but not a string is an error.
Result<std::string> optionalString(const bj::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end()) return std::string();
  if (!it->value().is_string()) return Errc::kBadJwk;
  const auto& s = it->value().get_string();
  return std::string(s.data(), s.size());
}

Result<std::string> requiredBase64url(const bj::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->value().is_string()) return Errc::kBadJwk;
  const auto& s = it->value().get_string();
  auto bytes = core::base64urlDecode(std::string_view(s.data(), s.size()));
  if (!bytes || bytes->empty()) return Errc::kBadJwk;
  return std::move(*bytes);
}

Result<EvpPkeyPtr> fromData(const char* type, OSSL_PARAM* params) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return Errc::kCryptoFailure;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1 || raw == nullptr) {
    return Errc::kBadJwk;
  }
  return wrapEvpPkey(raw);
}

const unsigned char* bytesOf(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// RFC 7518 s6.3.1: n and e are base64urlUInt values.
Result<void> buildRsa(const bj::object& o, Jwk& key) {
  auto n = requiredBase64url(o, "n");
  if (!n) return n.error();
  auto e = requiredBase64url(o, "e");
  if (!e) return e.error();
  BnPtr bn(BN_bin2bn(bytesOf(*n), static_cast<int>(n->size()), nullptr));
  BnPtr be(BN_bin2bn(bytesOf(*e), static_cast<int>(e->size()), nullptr));
  if (!bn || !be) return Errc::kCryptoFailure;
  int bits = BN_num_bits(bn.get());
  if (bits < kMinRsaBits) return Errc::kWeakRsaKey;
  if (bits > kMaxRsaBits) return Errc::kUnsupportedKeyType;
  // A public exponent must be odd and > 1; cap its size like other verifiers do.
  if (!BN_is_odd(be.get()) || BN_is_one(be.get()) || BN_num_bits(be.get()) > 64) {
    return Errc::kBadJwk;
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, be.get()) != 1) {
    return Errc::kCryptoFailure;
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return Errc::kCryptoFailure;
  auto pkey = fromData("RSA", params.get());
  if (!pkey) return pkey.error();
  key.type = KeyType::kRsa;
  key.bits = bits;
  key.pkey = std::move(*pkey);
  return {};
}

// RFC 7518 s6.2.1: x and y are the full coordinate length for the curve.
Result<void> buildEc(const bj::object& o, Jwk& key) {
  auto crv = optionalString(o, "crv");
  if (!crv) return crv.error();
  const char* group = nullptr;
  size_t coordLen = 0;
  int bits = 0;
  if (*crv == "P-256") {
    group = "prime256v1", coordLen = 32, bits = 256;
  } else if (*crv == "P-384") {
    group = "secp384r1", coordLen = 48, bits = 384;
  } else if (*crv == "P-521") {
    group = "secp521r1", coordLen = 66, bits = 521;
  } else {
    return Errc::kUnsupportedKeyType;
  }
  auto x = requiredBase64url(o, "x");
  if (!x) return x.error();
  auto y = requiredBase64url(o, "y");
  if (!y) return y.error();
  if (x->size() != coordLen || y->size() != coordLen) return Errc::kBadJwk;
  std::string point;
  point.reserve(1 + 2 * coordLen);
  point.push_back('\x04');  // uncompressed point (SEC 1 s2.3.3)
  point += *x;
  point += *y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Errc::kCryptoFailure;
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return Errc::kCryptoFailure;
  // Coordinates of the right length that OpenSSL will not import are off the curve
  // (or not reduced mod p); either way an invalid-curve attack input.
  auto pkey = fromData("EC", params.get());
  if (!pkey) return Errc::kEcPointNotOnCurve;
  // Belt and braces: an explicit public-key validation (SP 800-56A s5.6.2.3.3).
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey->get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return Errc::kEcPointNotOnCurve;
  key.type = KeyType::kEc;
  key.crv = *crv;
  key.bits = bits;
  key.pkey = std::move(*pkey);
  return {};
}

// RFC 8037 s2: OKP keys. Only Ed25519 is supported.
Result<void> buildOkp(const bj::object& o, Jwk& key) {
  auto crv = optionalString(o, "crv");
  if (!crv) return crv.error();
  if (*crv != "Ed25519") return Errc::kUnsupportedKeyType;
  auto x = requiredBase64url(o, "x");
  if (!x) return x.error();
  if (x->size() != 32) return Errc::kBadJwk;
  EVP_PKEY* raw = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytesOf(*x), x->size());
  if (raw == nullptr) return Errc::kBadJwk;
  key.type = KeyType::kOkp;
  key.crv = *crv;
  key.bits = 256;
  key.pkey = wrapEvpPkey(raw);
  return {};
}

// RFC 7517 s4.2/s4.3: a key meant for encryption, or whose key_ops exclude verify,
// must not be used to verify signatures.
Result<void> checkUsage(const bj::object& o, Jwk& key) {
  auto use = optionalString(o, "use");
  if (!use) return use.error();
  if (!use->empty() && *use != "sig") return Errc::kUnusableKey;
  key.use = *use;
  if (auto it = o.find("key_ops"); it != o.end()) {
    if (!it->value().is_array()) return Errc::kBadJwk;
    bool verify = false;
    for (const auto& op : it->value().get_array()) {
      if (!op.is_string()) return Errc::kBadJwk;
      if (op.get_string() == "verify") verify = true;
    }
    if (!verify) return Errc::kUnusableKey;
  }
  auto alg = optionalString(o, "alg");
  if (!alg) return alg.error();
  if (!alg->empty() && !algFromName(*alg)) return Errc::kUnusableKey;
  key.alg = *alg;
  return {};
}

}  // namespace

EvpPkeyPtr wrapEvpPkey(EVP_PKEY* raw) {
  return EvpPkeyPtr(raw, [](EVP_PKEY* p) { EVP_PKEY_free(p); });
}

Result<Jwk> parseJwk(const bj::object& o) {
  Jwk key;
  auto kty = optionalString(o, "kty");
  if (!kty) return kty.error();
  if (kty->empty()) return Errc::kBadJwk;
  auto kid = optionalString(o, "kid");
  if (!kid) return kid.error();
  key.kid = *kid;
  if (auto r = checkUsage(o, key); !r) return r.error();
  Result<void> built = Errc::kUnsupportedKeyType;
  if (*kty == "RSA") {
    built = buildRsa(o, key);
  } else if (*kty == "EC") {
    built = buildEc(o, key);
  } else if (*kty == "OKP") {
    built = buildOkp(o, key);
  }
  if (!built) return built.error();
  key.contexts = std::make_shared<VerifyContexts>(key.pkey);
  return key;
}

Result<Jwk> parseJwk(std::string_view json) {
  auto o = parseStrictJsonObject(json, JsonLimits{64 * 1024, 8});
  if (!o) return o.error();
  return parseJwk(*o);
}

KeyStore::KeyStore(std::vector<Jwk> keys, std::vector<SkippedKey> skipped)
    : keys_(std::move(keys)), skipped_(std::move(skipped)) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (!keys_[i].kid.empty()) byKid_[keys_[i].kid].push_back(i);
  }
}

bool KeyStore::containsKid(std::string_view kid) const { return byKid_.find(kid) != byKid_.end(); }

std::span<const size_t> KeyStore::indicesWithKid(std::string_view kid) const {
  if (auto it = byKid_.find(kid); it != byKid_.end()) return it->second;
  return {};
}

std::vector<const Jwk*> KeyStore::withKid(std::string_view kid) const {
  std::vector<const Jwk*> out;
  if (auto it = byKid_.find(kid); it != byKid_.end()) {
    for (size_t i : it->second) out.push_back(&keys_[i]);
  }
  return out;
}

std::vector<const Jwk*> KeyStore::withoutKid() const {
  std::vector<const Jwk*> out;
  for (const auto& k : keys_) {
    if (k.kid.empty()) out.push_back(&k);
  }
  return out;
}

Result<KeyStore> parseJwks(std::string_view json, const JwksLimits& limits) {
  if (json.size() > limits.maxBytes) return Errc::kJwksTooLarge;
  auto doc = parseStrictJsonObject(json, JsonLimits{limits.maxBytes, 8});
  if (!doc) return doc.error() == Errc::kNotJsonObject ? Errc::kBadJwks : doc.error();
  auto it = doc->find("keys");
  if (it == doc->end() || !it->value().is_array()) return Errc::kBadJwks;
  const auto& arr = it->value().get_array();
  if (arr.size() > limits.maxKeys) return Errc::kTooManyKeys;
  std::vector<Jwk> keys;
  std::vector<SkippedKey> skipped;
  for (const auto& v : arr) {
    if (!v.is_object()) {
      skipped.push_back({"", make_error_code(Errc::kBadJwk)});
      continue;
    }
    auto key = parseJwk(v.get_object());
    if (key) {
      keys.push_back(std::move(*key));
    } else {
      std::string kid;
      if (auto k = v.get_object().find("kid");
          k != v.get_object().end() && k->value().is_string()) {
        kid = std::string(k->value().get_string());
      }
      skipped.push_back({std::move(kid), key.error()});
    }
  }
  if (keys.empty()) return Errc::kNoUsableKeys;
  return KeyStore(std::move(keys), std::move(skipped));
}

}  // namespace authgate::jose
