// Bearer access tokens for APIs (RFC 6750): reading the Authorization header and
// verifying the token as an access-token JWT for one of api.audiences (RFC 9068; Auth0
// access tokens), with a bounded cache of already verified tokens so an API client
// that repeats its token costs one SHA-256 instead of a signature check.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "authgate/core/clock.h"
#include "authgate/core/error.h"
#include "authgate/jose/jwt.h"
#include "authgate/oidc/access.h"
#include "authgate/rp/bearer.h"
#include "authgate/session/session.h"
#include "config/config.h"
#include "gateway/auth_context.h"
#include "gateway/identity.h"
#include "gateway/router.h"
#include "gateway/web.h"
#include "net/http.h"

namespace authgate::gateway {

// Reading the Authorization header and verifying the token are the library's
// (authgate/rp/bearer.h, owned by rp::RelyingParty); what follows is the HTTP side.
using rp::AuthorizationHeader;
using rp::AuthorizationKind;
using rp::BearerOutcome;
using rp::BearerResult;
using rp::BearerVerifier;
using rp::parseAuthorization;

// The identity headers of a verified access token: X-Auth-Request-User = sub, and
// Email / Preferred-Username when the token has them (and the options want them).
template <class Fields>
void setTokenIdentityHeaders(Fields& h, const jose::VerifiedJwt& jwt,
                             const IdentityOptions& o = {}) {
  if (auto sub = jwt.stringClaim("sub"); sub && o.user) {
    setIdentityHeader(h, "X-Auth-Request-User", *sub);
  }
  auto email = jwt.stringClaim("email");
  if (email && o.email) setIdentityHeader(h, "X-Auth-Request-Email", *email);
  auto preferred = jwt.stringClaim("preferred_username");
  if (!preferred || preferred->empty()) preferred = email;
  if (preferred && o.preferred_username) {
    setIdentityHeader(h, "X-Auth-Request-Preferred-Username", *preferred);
  }
}

// Who is calling: a bearer token (when api.audiences is set and the request carries
// one) or the session cookie. Denials are ready-made responses: a bad token is 401
// JSON with error="invalid_token" (never a redirect); no session is a 302 to login for
// a browser navigation when `redirectBrowsers`, else 401 JSON; a store or provider
// that cannot answer is 503, never "signed out".
struct RequestAuth {
  enum class Kind { kDenied, kSession, kBearer, kDeferred };  // kDeferred: ctx.defer() called
  Kind kind = Kind::kDenied;
  std::optional<session::Session> session;       // kSession
  std::shared_ptr<const jose::VerifiedJwt> jwt;  // kBearer
  net::Response denial;                          // kDenied
};
// Only the bearer half: nullopt when bearer tokens are off (no api.audiences) or the
// request has no Bearer credential, so the caller goes on with the session cookie.
std::optional<RequestAuth> authenticateBearer(const AuthContext& auth, const net::Request& req,
                                              net::RequestContext& ctx);
// On an I/O thread (ctx.may_block false) this answers from memory only: a bearer token
// verified recently, a session in the session cache whose tokens need no refresh.
// Anything else (a signature check, a JWKS fetch, a store read, a refresh) defers the
// request to the worker pool (kDeferred), having done nothing; nothing that can wait
// on the network or on a lock held by another process runs on an I/O thread.
// `returnTo`: where login sends the browser back to; empty: the request's own target.
// `freshTokens`: the session's access token goes upstream, so it is refreshed first when
// it is about to expire (gateway/refresh.h).
RequestAuth authenticateRequest(const AuthContext& auth, const net::Request& req,
                                net::RequestContext& ctx, bool redirectBrowsers,
                                std::string_view returnTo, bool freshTokens);

// Forward-auth. GET <prefix>/check: 200 with the identity headers, or the denial
// (401, never a redirect: the proxy in front decides what a browser sees; nginx turns
// it into the login redirect with error_page, docs/PROTECT.md). For proxies that pass
// the auth service's denial straight to the client (Traefik forwardAuth, Envoy
// ext_authz), GET <prefix>/check/redirect[/original/path] answers the same, except
// that a browser navigation without a session gets the 302 to login, returning to
// X-Forwarded-Uri (Traefik) or the path after /check/redirect plus the query (Envoy's
// path_prefix).
Response handleCheck(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
Response handleCheckRedirect(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
void addForwardAuthRoutes(Router& router, const AuthContext& auth);

// prefix + "/login?return_to=" + the percent-encoded target.
std::string loginLocation(std::string_view prefix, std::string_view target);

}  // namespace authgate::gateway
