// The /auth/* endpoints (docs/LOGIN.md, LIFECYCLE.md, SESSIONS.md) as request -> response
// functions over an AuthContext, and the function that registers them (with the
// OpenMetadata aliases).
#pragma once

#include <string_view>

#include "gateway/auth_context.h"
#include "gateway/router.h"
#include "gateway/web.h"

namespace authgate::gateway {

// `returnToParam`: "return_to", or OpenMetadata's "redirectUri".
Response handleLogin(const AuthContext& auth, const Request& req, net::RequestContext& ctx,
                     std::string_view returnToParam);
Response handleCallback(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
Response handleMe(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
Response handleLogoutPage(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
Response handleLogout(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
Response handleListSessions(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
Response handleRevokeSession(const AuthContext& auth, const Request& req, net::RequestContext& ctx);
// The end of a logout whose checks passed: the session revoked here and its refresh
// token at the provider, the cookie cleared, the browser sent to the provider's logout.
Response finishLogout(const AuthContext& auth, const Request& req, const session::Session& s);

// Registers /auth/* (under auth.prefix) and the OpenMetadata aliases.
void addAuthRoutes(Router& router, const AuthContext& auth);

// The CSRF token of the logout form: derived from the session cookie, which a
// cross-site page cannot read (so it cannot forge the form).
std::string logoutCsrfToken(std::string_view sessionCookie);

}  // namespace authgate::gateway
