#include "gateway/routes.h"

#include <boost/url/parse.hpp>

#include <algorithm>

#include "authgate/core/codec.h"
#include "config/routes.h"

namespace authgate::gateway {

std::unique_ptr<RouteMap> RouteMap::build(const config::Config& config, std::string_view publicUrl,
                                          std::vector<std::string>& problems) {
  auto map = std::make_unique<RouteMap>();
  std::string scheme = "https", host, port;
  if (auto u = boost::urls::parse_absolute_uri(publicUrl)) {
    scheme = u->scheme();
    host = routingHost(u->encoded_host_and_port());
    port = u->has_port() ? ":" + std::string(u->port()) : "";
  }
  for (auto& r : config::effectiveRoutes(config)) {
    ProtectedRoute p;
    std::string why;
    p.upstream = net::Upstream::parse(r.upstream, &why);
    if (!p.upstream) {
      problems.push_back((r.upstream == config.upstream.url ? "upstream.url: " : "routes: ") +
                         r.upstream + " " + why);
      return nullptr;
    }
    p.access.allowed_email_domains = r.allowed_email_domains;
    p.access.allowed_emails = r.allowed_emails;
    p.access.require_email_verified = r.require_email_verified;
    p.access.required_claims = r.required_claims;
    p.access.admin_emails = config.access.admin_emails;
    p.has_rules = config::hasRules(r);
    p.identity = IdentityOptions::of(r);
    if (!r.host.empty() && r.host != host) p.origin = scheme + "://" + r.host + port;
    p.settings = std::move(r);
    map->routes_.push_back(std::move(p));
  }
  std::stable_sort(map->routes_.begin(), map->routes_.end(),
                   [](const ProtectedRoute& a, const ProtectedRoute& b) {
                     if (a.settings.path.size() != b.settings.path.size()) {
                       return a.settings.path.size() > b.settings.path.size();
                     }
                     return !a.settings.host.empty() && b.settings.host.empty();
                   });
  return map;
}

const ProtectedRoute* RouteMap::match(std::string_view host, std::string_view path) const {
  for (const auto& r : routes_) {
    if (!r.settings.host.empty() && r.settings.host != host) continue;
    if (underPrefix(path, r.settings.path)) return &r;
  }
  return nullptr;
}

std::vector<std::string> RouteMap::hosts() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) {
    if (!r.settings.host.empty() &&
        std::find(out.begin(), out.end(), r.settings.host) == out.end()) {
      out.push_back(r.settings.host);
    }
  }
  return out;
}

std::string routingHost(std::string_view h) {
  h = core::trimOws(h);
  if (!h.empty() && h.front() == '[') {
    auto close = h.find(']');
    h = close == std::string_view::npos ? h : h.substr(0, close + 1);
  } else if (auto colon = h.rfind(':'); colon != std::string_view::npos) {
    h = h.substr(0, colon);
  }
  std::string out(h);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!out.empty() && out.back() == '.') out.pop_back();  // "app.example.com." is the same
  return out;
}

std::optional<std::string> routingPath(std::string_view raw) {
  auto decoded = core::percentDecode(raw);  // a path's '+' stays a '+'
  if (!decoded) return std::nullopt;
  std::string path = std::move(*decoded);
  if (path.empty() || path.front() != '/') return std::nullopt;
  if (path.find('\\') != std::string::npos || path.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  for (std::size_t start = 1; start <= path.size();) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const auto seg = std::string_view(path).substr(start, end - start);
    if (seg == "." || seg == "..") return std::nullopt;
    start = end + 1;
  }
  return path;
}

bool underPrefix(std::string_view path, std::string_view prefix) {
  if (prefix == "/") return true;
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || prefix.back() == '/' || path[prefix.size()] == '/';
}

}  // namespace authgate::gateway
