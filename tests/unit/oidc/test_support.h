// Deterministic randomness and small JWT helpers for the oidc unit tests.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <cstdint>
#include <span>
#include <string>

#include "authgate/core/base64url.h"
#include "authgate/core/random.h"

namespace authgate::oidc::testing {

// Every fill() returns the next bytes of a fixed counter sequence: deterministic, and
// two consecutive draws (state, nonce, verifier) still differ.
class FixedRandom final : public core::Random {
 public:
  explicit FixedRandom(uint8_t seed = 1) : next_(seed) {}
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  uint8_t next_;
};

// The PKCS#8 PEM of a key; frees it.
inline std::string privateKeyPem(EVP_PKEY* pkey) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return pem;
}

inline std::string signHs256(const boost::json::object& header, const boost::json::object& claims,
                             std::string_view secret) {
  std::string input = core::base64urlEncode(boost::json::serialize(header)) + "." +
                      core::base64urlEncode(boost::json::serialize(claims));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." +
         core::base64urlEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace authgate::oidc::testing
