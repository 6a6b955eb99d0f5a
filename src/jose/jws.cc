#include "authgate/jose/jws.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <array>
#include <cctype>
#include <memory>
#include <span>

#include "authgate/core/base64url.h"
#include "authgate/jose/errc.h"
#include "authgate/jose/json.h"
#include "jose/verify_contexts.h"

namespace authgate::jose {
namespace {

struct AlgInfo {
  Alg alg;
  std::string_view name;
};
constexpr std::array<AlgInfo, 13> kAlgs{{
    {Alg::kRS256, "RS256"},
    {Alg::kRS384, "RS384"},
    {Alg::kRS512, "RS512"},
    {Alg::kPS256, "PS256"},
    {Alg::kPS384, "PS384"},
    {Alg::kPS512, "PS512"},
    {Alg::kES256, "ES256"},
    {Alg::kES384, "ES384"},
    {Alg::kES512, "ES512"},
    {Alg::kEdDSA, "EdDSA"},
    {Alg::kHS256, "HS256"},
    {Alg::kHS384, "HS384"},
    {Alg::kHS512, "HS512"},
}};

bool isRsaPkcs1(Alg a) { return a == Alg::kRS256 || a == Alg::kRS384 || a == Alg::kRS512; }
bool isEcdsa(Alg a) { return a == Alg::kES256 || a == Alg::kES384 || a == Alg::kES512; }

// RFC 7518 s3.4: the curve each ES alg is bound to, and its coordinate size.
std::string_view curveOf(Alg a) {
  switch (a) {
    case Alg::kES256:
      return "P-256";
    case Alg::kES384:
      return "P-384";
    case Alg::kES512:
      return "P-521";
    default:
      return "";
  }
}
size_t coordinateBytes(Alg a) {
  switch (a) {
    case Alg::kES256:
      return 32;
    case Alg::kES384:
      return 48;
    case Alg::kES512:
      return 66;
    default:
      return 0;
  }
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Raw R||S (RFC 7518 s3.4) -> DER ECDSA-Sig-Value, which EVP expects.
Result<std::string> ecdsaRawToDer(std::string_view raw) {
  size_t half = raw.size() / 2;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(raw), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw.substr(half)), static_cast<int>(half), nullptr);
  if (!sig || !r || !s) {
    BN_free(r);
    BN_free(s);
    return Errc::kCryptoFailure;
  }
  ECDSA_SIG_set0(sig.get(), r, s);  // takes ownership of r and s
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return Errc::kCryptoFailure;
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return Errc::kCryptoFailure;
  return der;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<Alg> algFromName(std::string_view name) {
  for (const auto& a : kAlgs) {
    if (a.name == name) return a.alg;
  }
  return std::nullopt;
}

std::string_view algName(Alg alg) {
  for (const auto& a : kAlgs) {
    if (a.alg == alg) return a.name;
  }
  return "unknown";
}

bool isHmacAlg(Alg a) { return a == Alg::kHS256 || a == Alg::kHS384 || a == Alg::kHS512; }

Result<CompactJws> parseCompactJws(std::string_view token, const JwsLimits& limits) {
  if (token.size() > limits.maxTokenBytes) return Errc::kTokenTooLarge;
  size_t d1 = token.find('.');
  if (d1 == std::string_view::npos) return Errc::kMalformedToken;
  size_t d2 = token.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return Errc::kMalformedToken;
  // Exactly three parts: a JWE (five parts) or anything else is not a JWS.
  if (token.find('.', d2 + 1) != std::string_view::npos) return Errc::kMalformedToken;
  std::string_view encHeader = token.substr(0, d1);
  std::string_view encPayload = token.substr(d1 + 1, d2 - d1 - 1);
  std::string_view encSig = token.substr(d2 + 1);
  if (encHeader.empty()) return Errc::kMalformedToken;
  if (encHeader.size() > (limits.maxHeaderBytes * 4 + 2) / 3) return Errc::kHeaderTooLarge;

  // The header is small: decode it on the stack (the size check above bounds it).
  std::array<char, 4096> headerBuf;
  std::string headerSpill;
  const size_t headerLen = core::base64urlDecodedSize(encHeader.size());
  char* headerOut = headerBuf.data();
  if (headerLen > headerBuf.size()) {
    headerSpill.resize(headerLen);
    headerOut = headerSpill.data();
  }
  if (!core::base64urlDecodeInto(encHeader, headerOut)) return Errc::kBadBase64url;
  const std::string_view headerJson(headerOut, headerLen);
  // Decode the other two segments now so "invalid base64url" is reported as such
  // whatever the signature check would say.
  if (encPayload.size() > (limits.maxPayloadBytes * 4 + 2) / 3) return Errc::kClaimsTooLarge;
  CompactJws jws;
  if (auto d = core::base64urlDecode(encPayload)) {
    jws.payload = std::move(*d);
  } else {
    return Errc::kBadBase64url;
  }
  if (auto d = core::base64urlDecode(encSig)) {
    jws.signature = std::move(*d);
  } else {
    return Errc::kBadBase64url;
  }

  auto header = parseStrictJsonObject(headerJson, JsonLimits{limits.maxHeaderBytes, 8});
  if (!header) return header.error();

  jws.header = std::move(*header);
  auto algIt = jws.header.find("alg");
  if (algIt == jws.header.end() || !algIt->value().is_string()) return Errc::kMissingAlg;
  jws.algName = std::string(algIt->value().get_string());
  jws.alg = algFromName(jws.algName);
  if (auto kidIt = jws.header.find("kid"); kidIt != jws.header.end()) {
    if (!kidIt->value().is_string()) return Errc::kMalformedToken;
    jws.kid = std::string(kidIt->value().get_string());
  }
  jws.signingInput = token.substr(0, d2);
  jws.encodedPayload = encPayload;
  return jws;
}

Result<std::string> decodePayload(const CompactJws& jws, const JwsLimits& limits) {
  if (jws.payload.size() > limits.maxPayloadBytes) return Errc::kClaimsTooLarge;
  return jws.payload;
}

Result<Alg> checkAlg(const CompactJws& jws, const std::vector<Alg>& allowed) {
  if (!jws.alg) {
    // RFC 8725 s3.1 / RFC 7518 s3.6: unsecured JWSs are never acceptable here.
    if (lower(jws.algName) == "none") return Errc::kAlgNone;
    return Errc::kUnsupportedAlg;
  }
  for (Alg a : allowed) {
    if (a == *jws.alg) return a;
  }
  return Errc::kAlgNotAllowed;
}

error_code checkCrit(const boost::json::object& header,
                     const std::vector<std::string>& understood) {
  auto it = header.find("crit");
  if (it == header.end()) return {};
  // RFC 7515 s4.1.11: a non-empty array of names; anything else is malformed.
  if (!it->value().is_array() || it->value().get_array().empty()) return Errc::kCritUnsupported;
  for (const auto& name : it->value().get_array()) {
    if (!name.is_string()) return Errc::kCritUnsupported;
    bool known = false;
    for (const auto& u : understood) {
      if (name.get_string() == u) known = true;
    }
    if (!known) return Errc::kCritUnsupported;
  }
  return {};
}

error_code checkKeyFitsAlg(const Jwk& key, Alg alg) {
  if (isHmacAlg(alg)) return Errc::kKeyAlgMismatch;  // a public key is never an HMAC secret
  if (!key.alg.empty() && key.alg != algName(alg)) return Errc::kKeyAlgMismatch;
  if (!key.use.empty() && key.use != "sig") return Errc::kKeyAlgMismatch;
  if (isRsaPkcs1(alg) || isRsaPss(alg)) {
    return key.type == KeyType::kRsa ? error_code{} : make_error_code(Errc::kKeyAlgMismatch);
  }
  if (isEcdsa(alg)) {
    return key.type == KeyType::kEc && key.crv == curveOf(alg)
               ? error_code{}
               : make_error_code(Errc::kKeyAlgMismatch);
  }
  if (alg == Alg::kEdDSA) {
    return key.type == KeyType::kOkp && key.crv == "Ed25519"
               ? error_code{}
               : make_error_code(Errc::kKeyAlgMismatch);
  }
  return Errc::kKeyAlgMismatch;
}

error_code verifyAsymmetric(const CompactJws& jws, Alg alg, const Jwk& key) {
  if (auto ec = checkKeyFitsAlg(key, alg)) return ec;
  if (!key.pkey) return Errc::kCryptoFailure;
  std::string_view sig = jws.signature;
  std::string der;
  if (isEcdsa(alg)) {
    if (sig.size() != 2 * coordinateBytes(alg)) return Errc::kBadSignatureLength;
    auto d = ecdsaRawToDer(sig);
    if (!d) return d.error();
    der = std::move(*d);
    sig = der;
  } else if (alg == Alg::kEdDSA) {
    if (sig.size() != 64) return Errc::kBadSignatureLength;
  } else if (sig.size() != static_cast<size_t>(EVP_PKEY_get_size(key.pkey.get()))) {
    // RSA: the signature is exactly k octets (RFC 8017 s8.2.2 step 1).
    return Errc::kBadSignatureLength;
  }

  MdCtxPtr ctx = key.contexts ? key.contexts->copyFor(alg, key.pkey) : nullptr;
  if (!ctx) {
    ctx.reset(EVP_MD_CTX_new());
    if (!ctx || !initVerify(ctx.get(), alg, key.pkey.get())) return Errc::kCryptoFailure;
  }
  int rc = EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(jws.signingInput),
                            jws.signingInput.size());
  if (rc == 1) return {};
  return Errc::kBadSignature;
}

error_code verifyHmac(const CompactJws& jws, Alg alg, std::string_view secret) {
  if (!isHmacAlg(alg)) return Errc::kKeyAlgMismatch;
  const EVP_MD* md = digestOf(alg);
  size_t mdLen = static_cast<size_t>(EVP_MD_get_size(md));
  if (secret.empty()) return Errc::kNoSharedSecret;
  if (secret.size() < mdLen) return Errc::kSharedSecretTooShort;
  if (jws.signature.size() != mdLen) return Errc::kBadSignatureLength;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macLen = 0;
  if (HMAC(md, secret.data(), static_cast<int>(secret.size()), bytes(jws.signingInput),
           jws.signingInput.size(), mac, &macLen) == nullptr ||
      macLen != mdLen) {
    return Errc::kCryptoFailure;
  }
  if (CRYPTO_memcmp(mac, jws.signature.data(), mdLen) != 0) return Errc::kBadSignature;
  return {};
}

error_code verifyWithKeyStore(const CompactJws& jws, Alg alg, const KeyStore& keys,
                              std::string* usedKid) {
  if (isHmacAlg(alg)) return Errc::kKeyAlgMismatch;  // HMAC never uses a JWKS key
  // Candidates: the keys with the token's kid; else the keys without a kid (sets that
  // publish none still work); a token without a kid may use any key that fits.
  enum class Pick { kByKid, kKidless, kAll };
  std::span<const size_t> byKid;
  Pick pick = Pick::kAll;
  if (!jws.kid.empty()) {
    byKid = keys.indicesWithKid(jws.kid);
    pick = byKid.empty() ? Pick::kKidless : Pick::kByKid;
  }
  error_code last = pick == Pick::kByKid ? make_error_code(Errc::kKeyAlgMismatch)
                                         : make_error_code(Errc::kNoMatchingKey);
  bool anyCandidate = false;
  auto tryKey = [&](const Jwk& key) {
    if (pick == Pick::kKidless && !key.kid.empty()) return false;
    anyCandidate = true;
    if (checkKeyFitsAlg(key, alg)) return false;
    error_code ec = verifyAsymmetric(jws, alg, key);
    if (!ec) {
      if (usedKid != nullptr) *usedKid = key.kid;
      return true;
    }
    last = ec;
    return false;
  };
  if (pick == Pick::kByKid) {
    for (size_t i : byKid) {
      if (tryKey(keys.keys()[i])) return {};
    }
  } else {
    for (const auto& k : keys.keys()) {
      if (tryKey(k)) return {};
    }
  }
  if (!anyCandidate && pick == Pick::kKidless) return Errc::kUnknownKid;
  return last;
}

}  // namespace authgate::jose
