#include "jose/verify_contexts.h"

#include <openssl/rsa.h>

namespace authgate::jose {

const EVP_MD* digestOf(Alg alg) {
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

bool isRsaPss(Alg a) { return a == Alg::kPS256 || a == Alg::kPS384 || a == Alg::kPS512; }

bool initVerify(EVP_MD_CTX* ctx, Alg alg, EVP_PKEY* pkey) {
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx, &pctx, digestOf(alg), nullptr, pkey) != 1) return false;
  if (!isRsaPss(alg)) return true;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digestOf(alg)) == 1;
}

MdCtxPtr VerifyContexts::copyFor(Alg alg, const EvpPkeyPtr& pkey) {
  if (pkey != pkey_ || !pkey_ || isHmacAlg(alg)) return nullptr;
  MdCtxPtr out(EVP_MD_CTX_new());
  if (!out) return nullptr;
  std::lock_guard lock(mu_);
  MdCtxPtr& kept = kept_[static_cast<size_t>(alg)];
  if (!kept) {
    MdCtxPtr fresh(EVP_MD_CTX_new());
    if (!fresh || !initVerify(fresh.get(), alg, pkey_.get())) return nullptr;
    kept = std::move(fresh);
  }
  if (EVP_MD_CTX_copy_ex(out.get(), kept.get()) != 1) return nullptr;
  return out;
}

}  // namespace authgate::jose
