// POST /auth/backchannel-logout: the OpenID Connect Back-Channel Logout 1.0 receiver.
//
// The provider (Auth0: "OIDC Back-Channel Logout" in the application settings) posts
// `logout_token=<JWT>` server to server. The token is validated (s2.6: signature, iss,
// aud, iat, exp, typ, events, sid and/or sub, no nonce), its jti is recorded in the
// shared store until it expires (a replay is refused on every instance), and every
// matching session is revoked in the store, so every instance sees it on its next
// request. Not a browser endpoint: no cookies, no CSRF token, no redirects. The checks
// and the ending are rp::RelyingParty::backchannelLogout; this is the HTTP side.
//
// Responses (s2.8): 200 with an empty body on success; 400 with
// {error, error_description} for a token that fails any check, and then nothing has
// changed. A store outage answers 503 (and forgets the jti) so a retrying provider can
// deliver it again; Auth0 does not retry, which is why the store is checked first.
#include <spdlog/spdlog.h>

#include "gateway/auth_context.h"
#include "gateway/refresh.h"

namespace authgate::gateway {

namespace {

void countResult(const AuthContext& auth, std::string_view result) {
  auth.metrics
      .counter("authgate_backchannel_logout_total",
               "Back-channel logout requests by result (ok or the rejection reason).",
               {{"result", std::string(result)}})
      .inc();
}

Response badRequest(const AuthContext& auth, const Request& req, std::string_view reason,
                    std::string_view description) {
  countResult(auth, reason);
  spdlog::warn("back-channel logout rejected: {}", reason);
  // s2.8: error and error_description as in RFC 6749 s5.2; the reason name never holds
  // token content.
  return jsonResponse(
      req, http::status::bad_request,
      {{"error", "invalid_request"},
       {"error_description", std::string(description) + " (" + std::string(reason) + ")"}});
}

Response unavailable(const AuthContext& auth, const Request& req) {
  countResult(auth, "store_unavailable");
  auto res = jsonResponse(req, http::status::service_unavailable,
                          {{"error", "temporarily_unavailable"},
                           {"error_description", "The session store cannot be reached."}});
  res.set(http::field::retry_after, "5");
  return res;
}

}  // namespace

Response handleBackchannelLogout(const AuthContext& auth, const Request& req,
                                 net::RequestContext&) {
  if (!req[http::field::content_type].starts_with("application/x-www-form-urlencoded")) {
    return badRequest(auth, req, "bad_content_type",
                      "Expected an application/x-www-form-urlencoded body");
  }
  auto form = core::formDecode(req.body());
  if (!form) return badRequest(auth, req, "malformed_body", "The body is not a valid form");
  // Exactly one logout_token (a repeated parameter is ambiguous: refuse it).
  int seen = 0;
  std::string token;
  for (const auto& [k, v] : *form) {
    if (k == "logout_token") {
      ++seen;
      token = v;
    }
  }
  if (seen != 1 || token.empty()) {
    return badRequest(auth, req, "missing_logout_token", "Expected one logout_token parameter");
  }

  auto ended = auth.party.backchannelLogout(token);
  if (auto* f = std::get_if<rp::Failure>(&ended)) {
    if (f->status == 503) return unavailable(auth, req);
    const auto reason = core::errorName(f->error);
    return badRequest(auth, req, reason,
                      f->error == rp::Errc::kLogoutTokenReplayed
                          ? "This logout token was already used"
                          : "The logout token is not valid");
  }
  countResult(auth, "ok");
  auto res = net::makeResponse(req, http::status::ok, "", "text/plain");
  setSecurityHeaders(res);
  return res;
}

}  // namespace authgate::gateway
