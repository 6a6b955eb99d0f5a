// Fuzzes what the provider answers on the back channel: token responses (code and
// refresh grants, any status), OAuth error bodies and the log line made from them, the
// credential probe and revocation answers, the discovery document, and UserInfo. The
// first byte picks the parser (low 2 bits) and the HTTP status (the rest). Asserts: a
// parsed token response has an access token, a Bearer type and 0 < expires_in <= 10 years,
// and an ID token for the code grant; the failure description never contains the
// secrets it is told to redact; parsed metadata has the expected issuer and its
// endpoints pass checkEndpointUrl; parsed UserInfo has the expected sub, and merging it
// never changes the ID token's protocol claims. The same bodies go to the PAR response
// parser: a parsed one came with 200/201 and has a request_uri within its limits and
// 0 < expires_in <= kMaxParExpiresIn.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "authgate/core/clock.h"
#include "authgate/oidc/discovery.h"
#include "authgate/oidc/par.h"
#include "authgate/oidc/token.h"
#include "authgate/oidc/userinfo.h"
#include "fuzz_support.h"

using namespace authgate;

namespace {

constexpr int kStatuses[] = {200, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503, 302};
constexpr std::string_view kIssuer = "https://tenant.auth0.com/";
// What the gateway redacts from a failure description: the code, the verifier, the secret.
constexpr std::string_view kCode = "SplxlOBeZQQYbYS6WxSbIA";
constexpr std::string_view kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kSecret = "client-secret-0123456789";

void tokenResponse(int status, std::string_view body) {
  static const core::ManualClock clock(1'700'000'000);
  for (auto grant : {oidc::Grant::kAuthorizationCode, oidc::Grant::kRefreshToken}) {
    auto t = oidc::parseTokenResponse(status, body, grant, clock);
    if (!t) continue;
    if (status < 200 || status > 299) fuzz::fail();
    if (t->tokens.accessToken.reveal().empty()) fuzz::fail();
    if (t->expiresIn <= 0 || t->expiresIn > 10LL * 366 * 86400) fuzz::fail();
    if (t->tokens.accessTokenExpiresAt != 1'700'000'000 + t->expiresIn) fuzz::fail();
    if (grant == oidc::Grant::kAuthorizationCode && t->tokens.idToken.reveal().empty()) {
      fuzz::fail();
    }
  }
  (void)oidc::parseOAuthError(status, body);
  const std::string line =
      oidc::describeTokenEndpointFailure(status, body, {kCode, kVerifier, kSecret});
  for (auto s : {kCode, kVerifier, kSecret}) {
    if (line.find(s) != std::string::npos) fuzz::fail();
  }
  for (unsigned char c : line) {
    if (c < 0x20 || c == 0x7f) fuzz::fail();  // one log line, no control characters
  }
  (void)oidc::classifyCredentialProbe(status, body);
  (void)oidc::checkRevocationResponse(status, body);
}

void parResponse(int status, std::string_view body) {
  auto p = oidc::parsePushedAuthorizationResponse(status, body);
  if (!p) return;
  if (status != 200 && status != 201) fuzz::fail();
  if (p->request_uri.empty() || p->request_uri.size() > oidc::kMaxRequestUriBytes) fuzz::fail();
  for (unsigned char c : p->request_uri) {
    if (c <= 0x20 || c >= 0x7f) fuzz::fail();  // it goes into the browser's URL
  }
  if (p->expires_in <= 0 || p->expires_in > oidc::kMaxParExpiresIn) fuzz::fail();
}

void discovery(std::string_view body) {
  auto m = oidc::parseProviderMetadata(body, kIssuer);
  if (!m) return;
  if (m->issuer != kIssuer) fuzz::fail();
  for (const std::string* url : {&m->authorization_endpoint, &m->token_endpoint, &m->jwks_uri}) {
    if (!oidc::checkEndpointUrl(*url)) fuzz::fail();
  }
  (void)oidc::chooseLogoutStyle("auto", *m);
}

void userinfo(std::string_view body) {
  auto info = oidc::parseUserinfo(body, "auth0|alice");
  if (!info) return;
  auto sub = info->find("sub");
  if (sub == info->end() || !sub->value().is_string() ||
      sub->value().as_string() != "auth0|alice") {
    fuzz::fail();
  }
  const boost::json::object idClaims{{"iss", kIssuer},    {"sub", "auth0|alice"}, {"aud", "client"},
                                     {"exp", 2000000000}, {"iat", 1700000000},    {"nonce", "n"},
                                     {"sid", "s"}};
  auto merged = oidc::mergeUserinfoClaims(idClaims, *info);
  for (const auto& [k, v] : idClaims) {
    auto it = merged.find(k);
    if (it == merged.end() || it->value() != v) fuzz::fail();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body = fuzz::text(data + 1, size - 1);
  const int status = kStatuses[(data[0] >> 2) % std::size(kStatuses)];
  switch (data[0] & 3) {
    case 0:
    case 1:
      tokenResponse(status, body);
      parResponse(status, body);
      break;
    case 2:
      discovery(body);
      break;
    default:
      userinfo(body);
      break;
  }
  return 0;
}
