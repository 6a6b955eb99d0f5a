// Fuzzes the compact JWS parser and the header rules (alg, crit) on raw input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authgate/jose/jws.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace authgate::jose;
  std::string_view token(reinterpret_cast<const char*>(data), size);
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
