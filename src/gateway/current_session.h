// Finding the signed-in session of a request, failing closed: a store that cannot answer
// is a 503 for the caller, never "signed out" (which is how redirect loops start,
// mod_auth_openidc #181).
#pragma once

#include <boost/json/object.hpp>
#include <optional>

#include "authgate/session/session.h"
#include "gateway/auth_context.h"
#include "gateway/web.h"

namespace authgate::gateway {

enum class SessionStatus {
  kActive,       // `session` is set
  kAnonymous,    // no cookie, malformed cookie, unknown, expired or revoked session
  kUnavailable,  // the store could not answer: fail closed with 503
  kDeferred,     // on an I/O thread and the answer needs the store or the provider: the
                 // request was deferred (ctx.defer()); the caller returns at once
};

struct CurrentSession {
  SessionStatus status = SessionStatus::kAnonymous;
  std::optional<session::Session> session;
  error_code error;  // why it is not active (for logs and metrics; never shown raw)
  // kUnavailable because the access token expired and the provider cannot refresh it
  // right now (not a store outage): seconds for Retry-After. 0 otherwise.
  int64_t retryAfterSeconds = 0;
};

// On an I/O thread (ctx.may_block false) only the session cache answers; anything
// else defers the request to the worker pool, having read and written nothing.
CurrentSession currentSession(const AuthContext& auth, const Request& req,
                              net::RequestContext& ctx);

// For requests that need the provider's access token (forward-auth with
// upstream.pass_access_token, the proxy): currentSession(), then the automatic refresh
// when the access token is within session.refresh_before_expiry of expiry
// (gateway/refresh.h, single flight across threads and instances). A refused refresh
// ends the session (kAnonymous); a provider outage keeps it: kActive with the current
// tokens while they are valid, else kUnavailable with retryAfterSeconds set.
// On an I/O thread a session whose tokens need a refresh defers the request too.
CurrentSession currentSessionWithFreshTokens(const AuthContext& auth, const Request& req,
                                             net::RequestContext& ctx);

// The claims of the session's ID token (merged with userinfo), as kept at login.
boost::json::object sessionClaims(const session::Session& s);
// access.admin_emails names this user (with a verified email).
bool isAdmin(const AuthContext& auth, const boost::json::object& claims);

// The 503 for a kUnavailable CurrentSession: store outage or provider outage.
Response unavailableResponse(const Request& req, const CurrentSession& cur);

// 503 page for a store that is down (HTML or JSON).
Response storeUnavailable(const Request& req);
// 401 for API callers: JSON + WWW-Authenticate (RFC 6750 s3).
Response unauthorizedJson(const Request& req, std::string_view error = {},
                          std::string_view description = {});

}  // namespace authgate::gateway
