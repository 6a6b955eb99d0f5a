#include "config/routes.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <set>

#include "config/field.h"
#include "config/scalar.h"
#include "config/yaml_value.h"

namespace authgate::config {

namespace {

constexpr std::array<std::string_view, 4> kIdentityHeaders = {"user", "email", "preferred_username",
                                                              "session"};

// The keys of one route and where each goes.
std::vector<std::pair<std::string_view, FieldRef>> routeFields(RouteSettings& r) {
  return {{"host", &r.host},
          {"path", &r.path},
          {"upstream", &r.upstream},
          {"public", &r.is_public},
          {"allowed_email_domains", &r.allowed_email_domains},
          {"allowed_emails", &r.allowed_emails},
          {"require_email_verified", &r.require_email_verified},
          {"required_claims", &r.required_claims},
          {"admins_only", &r.admins_only},
          {"identity_headers", &r.identity_headers},
          {"pass_access_token", &r.pass_access_token},
          {"pass_id_token", &r.pass_id_token}};
}

// A host name as a route matches it: lower-case letters, digits, '-', '.', no port.
bool isHostName(std::string_view h) {
  if (h.empty() || h.size() > 253 || h.front() == '.' || h.back() == '.') return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

bool isPathPrefix(std::string_view p) {
  if (p.empty() || p.front() != '/') return false;
  if (p.find("//") != std::string_view::npos || p.find('?') != std::string_view::npos ||
      p.find('#') != std::string_view::npos || p.find('%') != std::string_view::npos) {
    return false;
  }
  return p.find("/./") == std::string_view::npos && p.find("/../") == std::string_view::npos &&
         !p.ends_with("/.") && !p.ends_with("/..");
}

}  // namespace

bool hasRules(const RouteSettings& r) {
  return !r.allowed_email_domains.empty() || !r.allowed_emails.empty() ||
         r.require_email_verified || !r.required_claims.empty() || r.admins_only;
}

void parseRoutes(const YAML::Node& node, std::vector<RouteSettings>& out,
                 std::vector<Problem>& problems) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    problems.push_back({"routes", "expected a list of routes ({host, path, upstream, ...})"});
    return;
  }
  std::size_t i = 0;
  for (const auto& entry : node) {
    const std::string where = "routes[" + std::to_string(i++) + "]";
    RouteSettings r;
    if (!entry.IsMap()) {
      problems.push_back({where, "expected a mapping like {path: /api, upstream: http://...}"});
      continue;
    }
    auto fields = routeFields(r);
    std::vector<std::string> names;
    for (const auto& [name, ref] : fields) names.emplace_back(name);
    std::set<std::string> seen;
    for (const auto& kv : entry) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      auto it =
          std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
      if (it == fields.end()) {
        problems.push_back({where + "." + key, "unknown key" + didYouMean(key, names)});
        continue;
      }
      if (!seen.insert(key).second) {
        problems.push_back({where + "." + key, "set more than once"});
        continue;
      }
      if (auto reason = assignYamlValue(it->second, kv.second); !reason.empty()) {
        problems.push_back({where + "." + key, reason});
      }
    }
    out.push_back(std::move(r));
  }
}

void validateRoutes(const Config& c, std::vector<Problem>& out) {
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < c.routes.size(); ++i) {
    const auto& r = c.routes[i];
    const std::string where = "routes[" + std::to_string(i) + "]";
    if (!r.host.empty() && !isHostName(r.host)) {
      out.push_back({where + ".host", inQuotes(r.host) +
                                          " is not a host name (lower case, no port, no "
                                          "wildcard)"});
    }
    if (!isPathPrefix(r.path)) {
      out.push_back({where + ".path", inQuotes(r.path) +
                                          " must start with '/' and have no '//', '.' or '..' "
                                          "segments, '%', '?' or '#'"});
    }
    if (r.upstream.empty()) {
      out.push_back({where + ".upstream", "is required (http://host[:port][/base])"});
    } else if (!r.upstream.starts_with("http://")) {
      out.push_back({where + ".upstream", inQuotes(r.upstream) +
                                              " must be an http:// URL (https upstreams are not "
                                              "supported yet)"});
    }
    if (r.is_public && (hasRules(r) || r.pass_access_token || r.pass_id_token)) {
      out.push_back({where + ".public",
                     "a public route signs nobody in: it cannot have access rules or pass "
                     "tokens"});
    }
    for (const auto& h : r.identity_headers) {
      if (std::find(kIdentityHeaders.begin(), kIdentityHeaders.end(), h) ==
          kIdentityHeaders.end()) {
        out.push_back({where + ".identity_headers",
                       inQuotes(h) + " is not one of user, email, preferred_username, session"});
      }
    }
    if (r.admins_only && c.access.admin_emails.empty()) {
      out.push_back({where + ".admins_only", "access.admin_emails names no administrator"});
    }
    if (!seen.insert({r.host, r.path}).second) {
      out.push_back({where, "another route has the same host and path"});
    }
  }
  if (!c.upstream.url.empty() && seen.contains({"", "/"})) {
    out.push_back({"upstream.url", "a route for every host and \"/\" is already set in routes"});
  }
}

std::vector<RouteSettings> effectiveRoutes(const Config& c) {
  auto routes = c.routes;
  const bool covered = std::any_of(routes.begin(), routes.end(), [](const RouteSettings& r) {
    return r.host.empty() && r.path == "/";
  });
  if (!c.upstream.url.empty() && !covered) {
    RouteSettings r;
    r.upstream = c.upstream.url;
    r.pass_access_token = c.upstream.pass_access_token;
    r.pass_id_token = c.upstream.pass_id_token;
    routes.push_back(std::move(r));
  }
  return routes;
}

}  // namespace authgate::config
