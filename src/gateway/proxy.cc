#include "gateway/proxy.h"

#include <boost/url/parse.hpp>

#include "authgate/oidc/errc.h"
#include "gateway/bearer.h"
#include "gateway/current_session.h"
#include "gateway/identity.h"
#include "gateway/pages.h"
#include "gateway/web.h"

namespace authgate::gateway {

namespace {

net::ForwardDecision answer(net::Response res) {
  net::ForwardDecision d;
  d.response = std::move(res);
  return d;
}

// provider.dpop: the session's access token is bound to authgate's key, so an upstream
// that asks for it (pass_access_token) gets it as RFC 9449 s7.1 presents it to a
// resource server: `Authorization: DPoP <token>` and a proof for this one request (htm
// the method, htu the public URL the client used, ath the token's hash). false: no
// proof could be made (the request is then answered with an error page instead).
bool setDpopBoundToken(http::fields& identity, const AuthContext& auth, const Request& head,
                       const net::RequestContext& ctx, const ProtectedRoute& route,
                       const core::Secret& accessToken) {
  const std::string& origin = route.origin.empty() ? auth.public_url : route.origin;
  auto proof = auth.provider.resourceProof(head.method_string(), origin + std::string(ctx.path),
                                           accessToken);
  if (!proof) return false;
  identity.set(http::field::authorization, "DPoP " + accessToken.reveal());
  identity.set("DPoP", proof->reveal());
  return true;
}

}  // namespace

net::ForwardDecision decideForward(const AuthContext& auth, const RouteMap& routes,
                                   const Request& head, net::RequestContext& ctx) {
  // The route is chosen on the decoded path, so /%61dmin meets /admin's rules; a path
  // that could mean another one to the upstream (dot segments) is refused outright.
  auto path = routingPath(ctx.path);
  if (!path) {
    return answer(
        errorPage(head, http::status::bad_request, "bad_path", "This address is not valid"));
  }
  const auto* route = routes.match(routingHost(head[http::field::host]), *path);
  if (route == nullptr)
    return answer(net::makeResponse(head, http::status::not_found, "not found\n"));
  net::ForwardDecision d;
  // A route for another host than public_url's: the upstream learns that host.
  if (const auto scheme = route->origin.find("://"); scheme != std::string::npos) {
    d.forwarded_host = route->origin.substr(scheme + 3);
  }
  if (route->settings.is_public) {
    d.upstream = route->upstream.get();  // no sign-in, no identity headers
    return d;
  }
  const auto& rs = route->settings;
  // Login returns to the host the request came to; a relative target would bring the
  // browser back to public_url's host instead.
  std::string returnTo;
  if (!route->origin.empty()) returnTo = route->origin + std::string(head.target());
  auto a = authenticateRequest(auth, head, ctx, /*redirectBrowsers=*/true, returnTo,
                               rs.pass_access_token);
  if (a.kind == RequestAuth::Kind::kDeferred) return d;
  if (a.kind == RequestAuth::Kind::kDenied) return answer(std::move(a.denial));
  if (route->has_rules) {
    const auto claims =
        a.kind == RequestAuth::Kind::kSession ? sessionClaims(*a.session) : a.jwt->claims;
    auto decision = oidc::evaluateAccess(route->access, claims);
    if (!decision || (rs.admins_only && !decision.is_admin)) {
      const auto reason =
          decision ? std::string("not_admin")
                   : std::string(core::errorName(oidc::make_error_code(decision.reason)));
      auth.countFailure("route", reason);
      ErrorPageExtras extras;
      extras.operator_detail = "refused by the rules of the route " + rs.host + rs.path;
      return answer(errorPage(head, http::status::forbidden, reason,
                              "You do not have access to this page",
                              "Ask your administrator if you need it.", extras));
    }
  }
  const auto& identity = route->identity;
  if (a.kind == RequestAuth::Kind::kSession) {
    setIdentityHeaders(d.identity, *a.session, identity);
    const auto& token = a.session->tokens.accessToken;
    if (identity.pass_access_token && auth.provider.dpop() && !token.empty() &&
        !setDpopBoundToken(d.identity, auth, head, ctx, *route, token)) {
      return answer(errorPage(head, http::status::internal_server_error, "dpop_proof_failed",
                              "This page is not available right now"));
    }
  } else {
    setTokenIdentityHeaders(d.identity, *a.jwt, identity);
    // The validated bearer token is the request's credential for the upstream too.
    d.keep_authorization = true;
  }
  d.upstream = route->upstream.get();
  return d;
}

void addProxyRoute(Router& router, const AuthContext& auth, const RouteMap& routes) {
  router.addForward({}, "/*", [&auth, &routes](const Request& head, net::RequestContext& ctx) {
    return decideForward(auth, routes, head, ctx);
  });
}

net::ForwardOptions forwardOptions(const config::Config& config, const AuthContext& auth) {
  net::ForwardOptions o;
  auto& p = o.policy;
  p.trusted = net::TrustedProxies::parse(config.server.trusted_proxies);
  if (auto u = boost::urls::parse_absolute_uri(auth.public_url)) {
    p.public_scheme = std::string(u->scheme());
    p.public_host = std::string(u->encoded_host_and_port());
  }
  // Everything the upstream may take as identity comes from authgate only: the
  // X-Auth-Request-* family (kIdentityHeaders is part of it) and Authorization, which
  // the decision keeps only for a validated bearer token.
  p.protected_prefixes = {"x-auth-request-"};
  // A client's DPoP proof is never the upstream's: only authgate's key proves a token it
  // passes (setDpopBoundToken).
  p.protected_names = {"dpop"};
  p.own_cookies = {auth.cookies.session, auth.cookies.transaction};
  p.allow_underscores = config.server.underscores_in_headers;
  o.response_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.upstream.timeout);
  o.error_page = [](const Request& head, http::status status, std::string_view code) {
    // The engine puts its own request id on this head (the client's never reaches it).
    RequestIdScope scope(head["X-Request-Id"]);
    const bool timeout = status == http::status::gateway_timeout;
    ErrorPageExtras extras;
    extras.home_link = false;  // no link back to the app: it is what is down
    extras.operator_detail = std::string(code) + ": the route's upstream did not answer";
    return errorPage(head, status, code, "The application is not reachable",
                     timeout ? "The application did not answer in time. Please try again."
                             : "The application behind this sign-in is not answering. Please "
                               "try again in a moment.",
                     extras);
  };
  return o;
}

}  // namespace authgate::gateway
