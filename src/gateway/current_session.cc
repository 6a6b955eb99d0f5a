#include "gateway/current_session.h"

#include <boost/json/parse.hpp>

#include "authgate/oidc/access.h"
#include "authgate/oidc/refresh_policy.h"
#include "authgate/session/errc.h"
#include "gateway/refresh.h"

namespace authgate::gateway {

CurrentSession currentSession(const AuthContext& auth, const Request& req,
                              net::RequestContext& ctx) {
  CurrentSession out;
  auto cookie = cookieValue(req, auth.cookies.session);
  if (!cookie) return out;
  using Lookup = session::SessionManager::Lookup;
  auto s = auth.sessions.lookup(*cookie, ctx.may_block ? Lookup::kAny : Lookup::kMemoryOnly);
  if (s) {
    out.status = SessionStatus::kActive;
    out.session = std::move(*s);
    return out;
  }
  out.error = s.error();
  const auto& e = s.error();
  if (e == session::Errc::kWouldBlock) {
    ctx.defer();
    out.status = SessionStatus::kDeferred;
    return out;
  }
  if (e == session::Errc::kNotFound || e == session::Errc::kExpired ||
      e == session::Errc::kRevoked) {
    out.status = SessionStatus::kAnonymous;
  } else {
    // Unavailable, corrupt or undecryptable: reject, and say the service is not able to
    // decide, rather than sending the browser to log in again.
    out.status = SessionStatus::kUnavailable;
  }
  return out;
}

CurrentSession currentSessionWithFreshTokens(const AuthContext& auth, const Request& req,
                                             net::RequestContext& ctx) {
  auto cur = currentSession(auth, req, ctx);
  if (cur.status != SessionStatus::kActive) return cur;
  if (!ctx.may_block && oidc::needsRefresh(cur.session->tokens, auth.clock.unixSeconds(),
                                           auth.config.session.refresh_before_expiry)) {
    ctx.defer();
    cur.status = SessionStatus::kDeferred;
    cur.session.reset();
    return cur;
  }
  auto r = auth.refresher->ensureFresh(auth, *cur.session);
  switch (r.status) {
    case RefreshStatus::kNotNeeded:
    case RefreshStatus::kRefreshed:
    case RefreshStatus::kDeferred:
    case RefreshStatus::kNoRefreshToken:
      if (r.session) cur.session = std::move(r.session);
      return cur;
    case RefreshStatus::kEnded:
      cur.status = SessionStatus::kAnonymous;
      cur.session.reset();
      cur.error = r.error;
      return cur;
    case RefreshStatus::kUnavailable:
      cur.status = SessionStatus::kUnavailable;
      cur.session.reset();
      cur.error = r.error;
      cur.retryAfterSeconds = r.retryAfter > 0 ? r.retryAfter : 1;
      return cur;
    case RefreshStatus::kStoreUnavailable:
      cur.status = SessionStatus::kUnavailable;
      cur.session.reset();
      cur.error = r.error;
      return cur;
  }
  return cur;
}

boost::json::object sessionClaims(const session::Session& s) {
  boost::system::error_code ec;
  auto v = boost::json::parse(s.idTokenClaims, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

bool isAdmin(const AuthContext& auth, const boost::json::object& claims) {
  if (auth.access.admin_emails.empty()) return false;
  oidc::AccessPolicy adminOnly;
  adminOnly.admin_emails = auth.access.admin_emails;
  return oidc::evaluateAccess(adminOnly, claims).is_admin;
}

Response unavailableResponse(const Request& req, const CurrentSession& cur) {
  if (cur.retryAfterSeconds > 0) return providerUnavailable(req, cur.retryAfterSeconds);
  return storeUnavailable(req);
}

Response storeUnavailable(const Request& req) {
  ErrorPageExtras extras;
  extras.operator_detail = "the session store (session.store) cannot be reached";
  auto res =
      errorPage(req, http::status::service_unavailable, "session_store_unavailable",
                "Sign-in is temporarily unavailable",
                "Something on our side is not working. Please try again in a moment.", extras);
  res.set(http::field::retry_after, "5");
  return res;
}

Response unauthorizedJson(const Request& req, std::string_view error,
                          std::string_view description) {
  boost::json::object body{{"error", error.empty() ? "unauthenticated" : error}};
  if (!description.empty()) body["error_description"] = description;
  auto res = jsonResponse(req, http::status::unauthorized, body);
  // RFC 6750 s3: a request without credentials gets the bare challenge; one with a bad
  // token gets error="invalid_token".
  std::string challenge = "Bearer realm=\"authgate\"";
  if (!error.empty()) {
    challenge += ", error=\"" + std::string(error) + "\"";
  }
  res.set(http::field::www_authenticate, challenge);
  return res;
}

}  // namespace authgate::gateway
