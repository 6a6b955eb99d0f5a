#include "authgate/core/random.h"

#include <openssl/rand.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

#include "authgate/core/base64url.h"

namespace authgate::core {

std::string Random::bytes(size_t n) {
  std::string out(n, '\0');
  fill({reinterpret_cast<uint8_t*>(out.data()), out.size()});
  return out;
}

std::string Random::token(size_t n) { return base64urlEncode(bytes(n)); }

void OpenSslRandom::fill(std::span<uint8_t> out) {
  while (!out.empty()) {
    size_t chunk = out.size() > INT_MAX ? INT_MAX : out.size();
    if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) {
      std::fputs("authgate: fatal: RAND_bytes failed\n", stderr);
      std::abort();
    }
    out = out.subspan(chunk);
  }
}

OpenSslRandom& OpenSslRandom::instance() {
  static OpenSslRandom r;
  return r;
}

}  // namespace authgate::core
