#include "gateway/current_session.h"

#include <boost/json/parse.hpp>

#include "authgate/oidc/access.h"
#include "gateway/refresh.h"

namespace authgate::gateway {

namespace {

CurrentSession fromAuthentication(rp::Authentication a, net::RequestContext& ctx) {
  CurrentSession out;
  out.error = a.error;
  out.retryAfterSeconds = a.retryAfter;
  switch (a.status) {
    case rp::AuthStatus::kActive:
      out.status = SessionStatus::kActive;
      out.session = std::move(a.session);
      break;
    case rp::AuthStatus::kAnonymous:
      out.status = SessionStatus::kAnonymous;
      break;
    case rp::AuthStatus::kUnavailable:
      out.status = SessionStatus::kUnavailable;
      break;
    case rp::AuthStatus::kWouldBlock:
      // On an I/O thread: the answer needs the store or the provider. Defer the request
      // to the worker pool, having read and written nothing.
      ctx.defer();
      out.status = SessionStatus::kDeferred;
      break;
  }
  return out;
}

CurrentSession lookup(const AuthContext& auth, const Request& req, net::RequestContext& ctx,
                      bool freshTokens) {
  auto cookie = cookieValue(req, auth.cookies.session);
  if (!cookie) return {};
  return fromAuthentication(
      auth.party.authenticate(*cookie, {.freshTokens = freshTokens, .memoryOnly = !ctx.may_block}),
      ctx);
}

}  // namespace

CurrentSession currentSession(const AuthContext& auth, const Request& req,
                              net::RequestContext& ctx) {
  return lookup(auth, req, ctx, false);
}

CurrentSession currentSessionWithFreshTokens(const AuthContext& auth, const Request& req,
                                             net::RequestContext& ctx) {
  return lookup(auth, req, ctx, true);
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
