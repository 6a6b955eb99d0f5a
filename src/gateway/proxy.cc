#include "gateway/proxy.h"

#include <boost/url/parse.hpp>

#include "gateway/bearer.h"
#include "gateway/identity.h"
#include "gateway/pages.h"
#include "gateway/web.h"

namespace authgate::gateway {

net::ForwardDecision decideForward(const AuthContext& auth, const net::Upstream& upstream,
                                   const Request& head, net::RequestContext& ctx) {
  net::ForwardDecision d;
  auto a = authenticateRequest(auth, head, ctx, /*redirectBrowsers=*/true);
  switch (a.kind) {
    case RequestAuth::Kind::kDeferred:
      return d;
    case RequestAuth::Kind::kDenied:
      d.response = std::move(a.denial);
      return d;
    case RequestAuth::Kind::kSession:
      setIdentityHeaders(d.identity, *a.session, auth.config.upstream);
      break;
    case RequestAuth::Kind::kBearer:
      setTokenIdentityHeaders(d.identity, *a.jwt);
      // The validated bearer token is the request's credential for the upstream too.
      d.keep_authorization = true;
      break;
  }
  d.upstream = &upstream;
  return d;
}

void addProxyRoute(Router& router, const AuthContext& auth, const net::Upstream& upstream) {
  router.addForward({}, "/*", [&auth, &upstream](const Request& head, net::RequestContext& ctx) {
    return decideForward(auth, upstream, head, ctx);
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
    extras.operator_detail = std::string(code) + ": the upstream (upstream.url) did not answer";
    return errorPage(head, status, code, "The application is not reachable",
                     timeout ? "The application did not answer in time. Please try again."
                             : "The application behind this sign-in is not answering. Please "
                               "try again in a moment.",
                     extras);
  };
  return o;
}

}  // namespace authgate::gateway
