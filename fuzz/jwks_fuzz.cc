// Fuzzes JWK Set and single-JWK parsing into EVP_PKEY objects.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authgate/jose/jwk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace authgate::jose;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto set = parseJwks(text)) {
    for (const auto& k : set->keys()) (void)set->withKid(k.kid);
  }
  (void)parseJwk(text);
  return 0;
}
