// Verification contexts kept per key: setting up an EVP_MD_CTX for a signature check
// (EVP_DigestVerifyInit: provider lookups, a key-management context, the digest)
// costs about 2.3 us of an RS256 verify's 18 on this project's machines; copying one
// already set up costs about 0.2 us (docs/BENCHMARKS.md "JOSE").
#pragma once

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <mutex>

#include "authgate/jose/jwk.h"
#include "authgate/jose/jws.h"
#include "jose/openssl_ptr.h"

namespace authgate::jose {

// The digest an algorithm hashes with; null for EdDSA, which hashes internally
// (RFC 8032).
const EVP_MD* digestOf(Alg alg);
bool isRsaPss(Alg alg);

// Sets ctx up to check a signature made with pkey under an asymmetric alg: its digest
// and, for PS*, RFC 7518 s3.5's padding (MGF1 with the same hash, salt as long as the
// hash). False when OpenSSL refuses.
bool initVerify(EVP_MD_CTX* ctx, Alg alg, EVP_PKEY* pkey);

// One key's contexts, one per algorithm, each set up on first use and then only
// copied. The copy is taken under a lock: OpenSSL does not promise that reading one
// context from several threads at once is safe. A context holds no state from any
// earlier signature check, so a copy checks exactly like a fresh one.
class VerifyContexts {
 public:
  explicit VerifyContexts(EvpPkeyPtr pkey) : pkey_(std::move(pkey)) {}

  // A context ready for EVP_DigestVerify with pkey under alg. Null when pkey is not
  // the key these contexts were made for (a Jwk whose pkey was replaced), for HMAC,
  // or when OpenSSL fails; the caller then sets one up itself.
  MdCtxPtr copyFor(Alg alg, const EvpPkeyPtr& pkey);

 private:
  static constexpr size_t kAlgs = static_cast<size_t>(Alg::kHS512) + 1;
  const EvpPkeyPtr pkey_;
  std::mutex mu_;
  std::array<MdCtxPtr, kAlgs> kept_;
};

}  // namespace authgate::jose
