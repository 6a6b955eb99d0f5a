// The protected routes (`routes:`, and upstream.url as the one-route shorthand): which
// upstream a request goes to and under which rules, by host and path prefix.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/oidc/access.h"
#include "config/config.h"
#include "gateway/identity.h"
#include "net/upstream.h"

namespace authgate::gateway {

struct ProtectedRoute {
  config::RouteSettings settings;
  std::unique_ptr<net::Upstream> upstream;
  oidc::AccessPolicy access;  // the route's own rules (admin_emails: access.admin_emails)
  bool has_rules = false;     // any rule beyond "signed in"
  IdentityOptions identity;   // which identity headers and tokens the upstream gets
  // scheme://host[:port] of a route for another host than public_url's; "" otherwise.
  std::string origin;
};

class RouteMap {
 public:
  // nullptr and `problems` when a route cannot be served (its upstream URL).
  // `publicUrl`: scheme://host[:port] authgate is reached at (routes' origins follow it).
  static std::unique_ptr<RouteMap> build(const config::Config& config, std::string_view publicUrl,
                                         std::vector<std::string>& problems);

  // The route of a request: among those for `host` (lower case, no port) or for any
  // host, the longest `path` prefix that matches at a segment boundary; a route for the
  // host before one for any host at the same length. nullptr: none (404).
  const ProtectedRoute* match(std::string_view host, std::string_view path) const;
  bool empty() const { return routes_.empty(); }
  // The hosts routes name (for the origins login may return to).
  std::vector<std::string> hosts() const;

 private:
  std::vector<ProtectedRoute> routes_;  // longest path first, host-specific first
};

// --- Pure helpers (unit-tested) ---------------------------------------------------------

// The Host header as routes match it: lower-cased, without the port; "" when absent.
std::string routingHost(std::string_view hostHeader);

// The request path as routes match it: percent-decoded, so /%61dmin is /admin. nullopt
// for a path a route rule could be fooled by: a bad escape, a '.' or '..' segment
// (raw or encoded), a backslash or a NUL; such a request is refused with 400.
std::optional<std::string> routingPath(std::string_view rawPath);

// `path` is under `prefix` at a segment boundary ("/api" covers "/api" and "/api/x", not
// "/apix").
bool underPrefix(std::string_view path, std::string_view prefix);

}  // namespace authgate::gateway
