// The reverse proxy behind `upstream.url`, as decisions: the catch-all route looks at a
// request head and either forwards it to the upstream with the identity headers or
// answers it (login redirect, 401, 403, 503). The HTTP engine does the forwarding
// itself (net/forwarder.h: streamed bodies, WebSocket tunnels, pooled connections) under
// the trust-boundary rules of net/trust_boundary.h; this file only fills them in.
#pragma once

#include "config/config.h"
#include "gateway/auth_context.h"
#include "gateway/router.h"
#include "gateway/routes.h"
#include "gateway/web.h"
#include "net/server.h"
#include "net/upstream.h"

namespace authgate::gateway {

// Where the request goes (gateway/routes.h: by host and path), and who it is (session
// cookie or bearer token, gateway/bearer.h): to the route's upstream with the identity
// headers it passes, or answered here: 404 (no route), 400 (a path with dot segments),
// login redirect or 401, 403 (the route's rules), 503. A public route forwards without
// sign-in. On an I/O thread it answers from memory or defers (net/http.h).
net::ForwardDecision decideForward(const AuthContext& auth, const RouteMap& routes,
                                   const Request& head, net::RequestContext& ctx);

// Registers the catch-all "/*" for every method. Register it after every other route:
// exact routes always win, patterned ones registered earlier win.
void addProxyRoute(Router& router, const AuthContext& auth, const RouteMap& routes);

// The engine's forwarding settings: the trust rules (trusted proxies, the public scheme
// and host, identity headers and authgate's cookies as protected, underscores), the
// upstream timeouts and the 502/504 page.
net::ForwardOptions forwardOptions(const config::Config& config, const AuthContext& auth);

}  // namespace authgate::gateway
