#include "gateway/auth_routes.h"

#include "gateway/refresh.h"
#include "gateway/sessions_page.h"

namespace authgate::gateway {

void addAuthRoutes(Router& router, const AuthContext& auth) {
  using http::verb;
  // Every auth endpoint touches the session store or the provider: run them on the
  // worker pool, never on an I/O thread.
  const RouteOptions blocking{.blocking = true};
  const auto& p = auth.prefix;
  auto login = [&auth](const Request& req, net::RequestContext& ctx) {
    return handleLogin(auth, req, ctx, "return_to");
  };
  auto omLogin = [&auth](const Request& req, net::RequestContext& ctx) {
    return handleLogin(auth, req, ctx, "redirectUri");
  };
  auto bind = [&auth](Response (*fn)(const AuthContext&, const Request&, net::RequestContext&)) {
    return [&auth, fn](const Request& req, net::RequestContext& ctx) { return fn(auth, req, ctx); };
  };

  router.get(p + "/login", login, blocking);
  router.add({verb::get, verb::post}, p + "/callback", bind(handleCallback), blocking);
  router.get(p + "/me", bind(handleMe), blocking);
  router.get(p + "/logout", bind(handleLogoutPage), blocking);
  router.post(p + "/logout", bind(handleLogout), blocking);
  router.get(p + "/sessions", bind(handleListSessions), blocking);
  router.post(p + "/sessions", bind(handleSessionsForm), blocking);  // the sessions page's forms
  router.add({verb::delete_}, p + "/sessions/{id}", bind(handleRevokeSession), blocking);
  // Token lifecycle (gateway/refresh.h).
  router.post(p + "/refresh", bind(handleRefresh), blocking);
  router.post(p + "/backchannel-logout", bind(handleBackchannelLogout), blocking);

  // OpenMetadata's paths (docs/CONFIGURATION.md compat.openmetadata_aliases): they would
  // hide the same paths of any other app, so only when asked for, or when OpenMetadata's
  // own variables configured authgate.
  if (!config::openMetadataAliases(auth.config)) return;
  router.get("/api/v1/auth/login", omLogin, blocking);
  router.add({verb::get, verb::post}, "/callback", bind(handleCallback), blocking);
  router.add({verb::get, verb::post}, "/api/v1/auth/callback", bind(handleCallback), blocking);
  router.get("/api/v1/auth/refresh", bind(handleOmRefresh), blocking);
  router.get("/api/v1/auth/logout", bind(handleOmLogout), blocking);
}

}  // namespace authgate::gateway
