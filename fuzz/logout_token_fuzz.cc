// Fuzzes back-channel logout tokens (OIDC Back-Channel Logout 1.0 s2.4, s2.6) as
// POST /auth/backchannel-logout validates them: oidc::validateLogoutToken (jose with the
// logout-token policy, then checkLogoutTokenClaims). The first byte picks the mode:
//   even: the rest is a token, verified as it comes (parsing, alg rules, signature);
//   odd:  the rest is "HEADER\nCLAIMS", signed with HS256 and the client secret (an
//         allowed alg here), so the claim rules see fuzzer-chosen JSON.
// Asserts, for an accepted token: sub or sid, a jti, no nonce, the back-channel event,
// an iat neither older than max_age nor in the future (each with the skew), exp >= iat;
// and checkLogoutTokenClaims on the same header and claims agrees.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "authgate/jose/json.h"
#include "authgate/jose/jws.h"
#include "authgate/jose/jwt.h"
#include "authgate/oidc/logout.h"
#include "fuzz_support.h"

using namespace authgate;

namespace {

constexpr std::string_view kSecret = "fuzz-client-secret-fuzz-client-secret-01";
constexpr int64_t kNow = 1'700'000'000;

const oidc::RelyingPartyOptions& rp() {
  static const oidc::RelyingPartyOptions o = [] {
    oidc::RelyingPartyOptions r;
    r.issuer = "https://tenant.auth0.com/";
    r.client_id = "client";
    r.client_secret = core::Secret(std::string(kSecret));
    r.id_token_algs = {"RS256", "HS256"};
    return r;
  }();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const core::ManualClock clock(kNow);
  static const jose::KeyStore keys;  // HS256 needs none; RS256 tokens find no key
  const oidc::LogoutTokenRules rules;
  std::string_view rest = fuzz::text(data + 1, size - 1);
  std::string token;
  if (data[0] % 2 == 0) {
    token = std::string(rest);
  } else {
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) return 0;
    token = fuzz::hs256(kSecret, rest.substr(0, nl), rest.substr(nl + 1));
  }
  auto facts = oidc::validateLogoutToken(token, keys, rp(), rules, clock);
  if (!facts) return 0;
  if (!facts->sub && !facts->sid) fuzz::fail();
  if ((facts->sub && facts->sub->empty()) || (facts->sid && facts->sid->empty())) fuzz::fail();
  if (facts->jti.empty()) fuzz::fail();
  const int64_t skew = rules.clock_skew.count();
  if (facts->iat > kNow + skew || facts->iat < kNow - rules.max_age.count() - skew) fuzz::fail();
  // The claims the token carried, checked again on their own: the same answer.
  auto jws = jose::parseCompactJws(token);
  if (!jws) fuzz::fail();
  auto claims = jose::parseStrictJsonObject(jws->payload);
  if (!claims) fuzz::fail();
  if (claims->contains("nonce")) fuzz::fail();
  auto again = oidc::checkLogoutTokenClaims(jws->header, *claims, rules, clock);
  if (!again || again->jti != facts->jti || again->sub != facts->sub || again->sid != facts->sid) {
    fuzz::fail();
  }
  return 0;
}
