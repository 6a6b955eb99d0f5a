// Owners for the OpenSSL objects more than one jose file creates (verification,
// signing, JWS encoding): one deleter each, so every file frees them the same way.
#pragma once

#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>

namespace authgate::jose {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

}  // namespace authgate::jose
