// Fuzzes JWT verification end to end. The first byte picks a mode:
//   even: the rest is a token, verified against a fixed JWKS (parsing, alg rules, key
//         selection, signature code on garbage);
//   odd:  the rest is "HEADER\nCLAIMS"; the target signs it with HS256 and the known
//         secret, so the claim parser and every claim check see fuzzer-chosen JSON.
// Both run the fail-fast and the report pipeline.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "authgate/jose/jwt.h"
#include "fuzz_support.h"

namespace {

using namespace authgate;

constexpr std::string_view kSecret = "fuzz-secret-fuzz-secret-fuzz-secret-0123";

const jose::KeyStore& keys() {
  // RFC 7515 A.2 (RSA) and A.3 (EC P-256) public keys.
  static const jose::KeyStore ks = *jose::parseJwks(
      R"({"keys":[{"kty":"RSA","kid":"rsa","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"},)"
      R"({"kty":"EC","kid":"ec","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})");
  return ks;
}

jose::VerifyPolicy policy() {
  jose::VerifyPolicy p = jose::VerifyPolicy::idToken("https://issuer.example/", "client");
  p.allowedAlgs = {jose::Alg::kRS256, jose::Alg::kPS256, jose::Alg::kES256, jose::Alg::kHS256};
  p.sharedSecret = core::Secret(std::string(kSecret));
  p.nonce = "nonce";
  p.maxAge = std::chrono::seconds(600);
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const jose::VerifyPolicy p = policy();
  static const core::ManualClock clock(1'700'000'000);
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string token;
  if (data[0] % 2 == 0) {
    token = std::string(rest);
  } else {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) return 0;
    token = fuzz::hs256(kSecret, rest.substr(0, nl), rest.substr(nl + 1));
  }
  auto r = jose::verifyJwt(token, keys(), p, clock);
  auto report = jose::verifyJwtReport(token, keys(), p, clock);
  // The two modes must agree on the outcome.
  if (static_cast<bool>(r) != report.valid()) __builtin_trap();
  if (!r && r.error() != report.firstError) __builtin_trap();
  return 0;
}
