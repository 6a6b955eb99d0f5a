// Logout (OpenID Connect RP-Initiated Logout 1.0; Auth0 /v2/logout).
//
// GET shows a confirmation page whose form carries a CSRF token derived from the session
// cookie; POST checks it (and Origin when sent), revokes the session in the store (every
// instance sees it on the next request), revokes the refresh token at the provider when
// it has a revocation endpoint (RFC 7009), clears the cookie, and sends the browser to
// the provider's logout so the next login asks for credentials again (OpenMetadata
// #17335: a logout that never reaches the provider silently signs the user back in).
#include "authgate/core/crypto.h"
#include "gateway/auth_routes.h"
#include "gateway/csrf.h"
#include "gateway/current_session.h"
#include "gateway/refresh.h"

namespace authgate::gateway {

std::string logoutCsrfToken(std::string_view sessionCookie) {
  return formToken("logout", sessionCookie);
}

namespace {

std::string clearedCookie(const AuthContext& auth) {
  return core::formatSetCookie(auth.party.clearedSessionCookie());
}

std::string postLogoutTarget(const AuthContext& auth) { return auth.party.postLogoutTarget(); }

Response signedOutPage(const AuthContext& auth, const Request& req) {
  auto res = redirect(req, postLogoutTarget(auth));
  res.insert(http::field::set_cookie, clearedCookie(auth));
  return res;
}

}  // namespace

Response handleLogoutPage(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  auto cookie = cookieValue(req, auth.cookies.session);
  auto cur = currentSession(auth, req, ctx);
  if (cur.status == SessionStatus::kUnavailable) return storeUnavailable(req);
  if (cur.status != SessionStatus::kActive || !cookie) {
    config::PageValues v;
    v.text = {{"title", "You are signed out"}, {"continue_url", postLogoutTarget(auth)}};
    return renderPage(req, http::status::ok, "signed_out", std::move(v));
  }
  config::PageValues v;
  v.text = {{"title", "Sign out?"},
            {"user", cur.session->email.empty() ? cur.session->subject : cur.session->email},
            {"csrf", logoutCsrfToken(*cookie)},
            {"action_url", auth.prefix + "/logout"},
            {"sessions_url", auth.prefix + "/sessions"}};
  return renderPage(req, http::status::ok, "logout", std::move(v));
}

Response handleLogout(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  // A request from a page of another site may not log the user out. Browsers send Origin
  // on POST; when it is there it must be ours.
  if (!req[http::field::origin].empty() &&
      requestSite(req, auth.allowed_origins) != RequestSite::kOwn) {
    return errorPage(req, http::status::forbidden, "cross_site_logout",
                     "This sign-out request came from another site");
  }
  auto cookie = cookieValue(req, auth.cookies.session);
  auto cur = currentSession(auth, req, ctx);
  if (cur.status == SessionStatus::kUnavailable) return storeUnavailable(req);
  if (cur.status != SessionStatus::kActive || !cookie) return signedOutPage(auth, req);

  // A form post must carry the token of this session's confirmation page. Any other
  // request (fetch/XHR from our own app) must show where it comes from: an Origin,
  // checked above (browsers always send one on POST), or Fetch Metadata saying it is our
  // own (the OpenMetadata GET alias). A request with neither proves nothing and is
  // refused: defence in depth beside SameSite=Lax, e.g. for text/plain cross-site forms.
  const bool form = req[http::field::content_type].starts_with("application/x-www-form-urlencoded");
  if (form) {
    auto body = core::formDecode(req.body());
    auto csrf = body ? core::findParam(*body, "csrf") : std::nullopt;
    if (!csrf || !core::constantTimeEqual(*csrf, logoutCsrfToken(*cookie))) {
      return errorPage(req, http::status::forbidden, "csrf_mismatch",
                       "This sign-out form has expired",
                       "Open the sign-out page again and confirm.");
    }
  } else if (req[http::field::origin].empty() && !isOwnOriginRequest(req)) {
    return errorPage(req, http::status::forbidden, "csrf_mismatch",
                     "This sign-out request cannot be verified",
                     "Sign out from the sign-out page of this site.");
  }

  return finishLogout(auth, req, *cur.session);
}

Response finishLogout(const AuthContext& auth, const Request& req, const session::Session& s) {
  auto out = auth.party.logout(s);
  if (std::holds_alternative<rp::Failure>(out)) return storeUnavailable(req);
  const auto& done = std::get<rp::LogoutDone>(out);
  auto res = wantsJson(req) ? jsonResponse(req, http::status::ok, {{"logout_url", done.location}})
                            : redirect(req, done.location);
  res.insert(http::field::set_cookie, core::formatSetCookie(done.clearedCookie));
  return res;
}

// GET /api/v1/auth/logout (OpenMetadata's UI calls it with fetch, then goes to its own
// /logout page). A GET that logs out is a CSRF target (an <img> or a link on another
// site), so it acts only when Fetch Metadata says our own page (or the user typing the
// URL, Sec-Fetch-Site: none) asked for it; a request from another site (even a sibling
// subdomain), or from a client that sends no metadata, gets the confirmation page with
// the POST form instead.
Response handleOmLogout(const AuthContext& auth, const Request& req, net::RequestContext& ctx) {
  if (!isOwnOriginRequest(req)) return handleLogoutPage(auth, req, ctx);
  return handleLogout(auth, req, ctx);
}

}  // namespace authgate::gateway
