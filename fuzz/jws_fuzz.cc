// Fuzzes the compact JWS parser and the header rules (alg, crit) on raw input, and
// checks the hot-path base64url decoder against core::base64urlDecode.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "authgate/core/base64url.h"
#include "authgate/jose/jws.h"
#include "jose/strict_base64url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace authgate::jose;
  std::string_view token(reinterpret_cast<const char*>(data), size);
  // Differential: the hot-path base64url decoder must agree with core's.
  std::string fast;
  bool fastOk = detail::strictBase64urlDecode(token, fast);
  auto ref = authgate::core::base64urlDecode(token);
  if (fastOk != static_cast<bool>(ref) || (fastOk && fast != *ref)) __builtin_trap();
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
