#include "gateway/refresh.h"

#include <algorithm>

#include "gateway/auth_context.h"
#include "gateway/current_session.h"

namespace authgate::gateway {

using rp::RefreshStatus;

bool isOwnOriginRequest(const Request& req) {
  // Fetch Metadata (W3C): the browser, not the page, sets Sec-Fetch-Site. "none" is a
  // user action (typed URL, bookmark); anything from another origin, including a sibling
  // subdomain (same-site, which still gets SameSite=Lax cookies), is not ours.
  auto site = req["Sec-Fetch-Site"];
  return site == "same-origin" || site == "none";
}

// --- Endpoints ---

Response providerUnavailable(const Request& req, int64_t retryAfterSeconds) {
  auto res = errorPage(req, http::status::service_unavailable, "provider_unavailable",
                       "The sign-in provider is temporarily unavailable",
                       "Your session is kept. Please try again in a moment.");
  res.set(http::field::retry_after, std::to_string(std::max<int64_t>(1, retryAfterSeconds)));
  return res;
}

namespace {

// POST /auth/refresh and the OpenMetadata alias share everything but the body shape.
// Tokens never reach the browser, so neither answers with one (OpenMetadata's
// own servlet returns the provider's access token; its UI only needs the expiry).
Response refreshEndpoint(const AuthContext& auth, const Request& req, net::RequestContext& ctx,
                         bool openMetadata) {
  // A refresh spends a grant at the provider: a page of another site may not trigger
  // one (the same checks as logout). The POST must show it is ours (browsers send
  // Origin on every POST); the OpenMetadata GET is refused when the browser says it
  // comes from elsewhere.
  const auto site = requestSite(req, auth.allowed_origins);
  if (site == RequestSite::kForeign || (!openMetadata && site != RequestSite::kOwn)) {
    auth.countFailure("refresh", "cross_site_request");
    return errorPage(req, http::status::forbidden, "cross_site_request",
                     "This request came from another site",
                     "Refreshing the session is only possible from this site's own pages.");
  }
  auto cur = currentSession(auth, req, ctx);
  if (cur.status == SessionStatus::kUnavailable) return storeUnavailable(req);
  if (cur.status != SessionStatus::kActive) return unauthorizedJson(req);
  auto result = auth.party.refresh(*cur.session);
  switch (result.status) {
    case RefreshStatus::kEnded:
      return unauthorizedJson(req, "invalid_token", "The session has ended; sign in again.");
    case RefreshStatus::kStoreUnavailable:
      return storeUnavailable(req);
    case RefreshStatus::kUnavailable:
      return providerUnavailable(req, result.retryAfter);
    case RefreshStatus::kDeferred: {
      // The current token is still valid: say when to try again, keep the session.
      auto res = jsonResponse(req, http::status::service_unavailable,
                              {{"error", "provider_unavailable"},
                               {"error_description",
                                "The provider did not refresh the tokens; "
                                "the current ones stay valid."},
                               {"expires_at", result.session->tokens.accessTokenExpiresAt}});
      res.set(http::field::retry_after, "5");
      return res;
    }
    case RefreshStatus::kNoRefreshToken:
      return jsonResponse(req, http::status::bad_request,
                          {{"error", "no_refresh_token"},
                           {"error_description",
                            "This session has no refresh token (the offline_access scope "
                            "was not granted)."}});
    case RefreshStatus::kNotNeeded:
    case RefreshStatus::kRefreshed:
      break;
  }
  const auto& s = *result.session;
  boost::json::object body{{"expires_at", s.tokens.accessTokenExpiresAt}};
  if (openMetadata) {
    // OpenMetadata's JwtResponse: expiryDuration is the expiry in epoch milliseconds.
    body["expiryDuration"] = s.tokens.accessTokenExpiresAt * 1000;
  } else {
    body["session_expires_at"] = s.expiresAt();
  }
  return jsonResponse(req, http::status::ok, body);
}

}  // namespace

Response handleRefresh(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  return refreshEndpoint(auth, req, ctx, false);
}

Response handleOmRefresh(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  return refreshEndpoint(auth, req, ctx, true);
}

}  // namespace authgate::gateway
