// Fuzzes the compact JWS parser and the header rules (alg, crit) on raw input, and
// checks that strict base64url has exactly one encoding per value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "authgate/core/base64url.h"
#include "authgate/jose/jws.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace authgate::jose;
  std::string_view token(reinterpret_cast<const char*>(data), size);
  // Canonical: whatever strict base64url accepts re-encodes to the same text.
  if (auto bytes = authgate::core::base64urlDecode(token)) {
    if (authgate::core::base64urlEncode(*bytes) != token) __builtin_trap();
  }
  auto jws = parseCompactJws(token);
  if (!jws) return 0;
  (void)decodePayload(*jws);
  (void)checkAlg(*jws, {Alg::kRS256, Alg::kES256, Alg::kEdDSA, Alg::kHS256});
  (void)checkCrit(jws->header, {"b64"});
  if (jws->alg && isHmacAlg(*jws->alg)) {
    (void)verifyHmac(*jws, *jws->alg,
                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  }
  return 0;
}
