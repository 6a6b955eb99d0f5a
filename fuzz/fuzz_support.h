// Helpers the fuzz targets share: the input as text, and an HS256 signature with a known
// secret, so that targets behind a signature check see fuzzer-chosen header and claims.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "authgate/core/base64url.h"

namespace authgate::fuzz {

inline std::string_view text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// "base64url(header).base64url(claims).HMAC-SHA256(secret)", the header and claims as given.
inline std::string hs256(std::string_view secret, std::string_view header,
                         std::string_view claims) {
  std::string input = core::base64urlEncode(header) + "." + core::base64urlEncode(claims);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + core::base64urlEncode(std::string_view(reinterpret_cast<char*>(mac), len));
}

// A property of the code under test does not hold: stop with a crash libFuzzer records.
[[noreturn]] inline void fail() { __builtin_trap(); }

}  // namespace authgate::fuzz
