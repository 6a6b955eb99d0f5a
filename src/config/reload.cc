#include "config/reload.h"

#include "config/load.h"
#include "config/routes.h"

namespace authgate::config {
namespace {

// Puts `next` back to `running` when they differ, naming `key`.
template <class T>
void keep(const char* key, const T& running, T& next, std::vector<std::string>& changed) {
  if (running == next) return;
  changed.emplace_back(key);
  next = running;
}

}  // namespace

ReloadPlan planReload(const Config& running, Config next) {
  std::vector<std::string> changed;
  // Whether the new callback_url is the default one (derived from public_url,
  // path_prefix and listen): then it follows those settings when they are kept.
  Config probe = next;
  probe.provider.callback_url.clear();
  deriveDefaults(probe);
  const bool derivedCallback = probe.provider.callback_url == next.provider.callback_url;

  const auto& r = running.server;
  auto& n = next.server;
  // The listeners, their limits and the log: the engine is built once.
  keep("server.listen", r.listen, n.listen, changed);
  keep("server.admin_listen", r.admin_listen, n.admin_listen, changed);
  keep("server.threads", r.threads, n.threads, changed);
  keep("server.max_header_bytes", r.max_header_bytes, n.max_header_bytes, changed);
  keep("server.max_body_bytes", r.max_body_bytes, n.max_body_bytes, changed);
  keep("server.read_timeout", r.read_timeout, n.read_timeout, changed);
  keep("server.idle_timeout", r.idle_timeout, n.idle_timeout, changed);
  keep("server.shutdown_grace", r.shutdown_grace, n.shutdown_grace, changed);
  keep("server.max_connections", r.max_connections, n.max_connections, changed);
  keep("server.max_connections_per_ip", r.max_connections_per_ip, n.max_connections_per_ip,
       changed);
  // The certificate and key files are read again on every reload; other files need a
  // restart.
  keep("server.tls", r.tls, n.tls, changed);
  keep("server.log_level", r.log_level, n.log_level, changed);
  keep("server.log_format", r.log_format, n.log_format, changed);
  // The engine's forwarding rules: who is a trusted proxy, the public scheme and host,
  // the cookies it strips, header names, the upstream timeout.
  keep("server.trusted_proxies", r.trusted_proxies, n.trusted_proxies, changed);
  keep("server.underscores_in_headers", r.underscores_in_headers, n.underscores_in_headers,
       changed);
  keep("server.public_url", r.public_url, n.public_url, changed);
  keep("server.cookie_domain", r.cookie_domain, n.cookie_domain, changed);
  keep("upstream.timeout", running.upstream.timeout, next.upstream.timeout, changed);
  // The endpoint table: its paths, and whether there is a proxy at all.
  keep("server.path_prefix", r.path_prefix, n.path_prefix, changed);
  if (openMetadataAliases(running) != openMetadataAliases(next)) {
    changed.emplace_back("compat.openmetadata_aliases");
    next.compat = running.compat;
    next.openmetadata_variables = running.openmetadata_variables;
  }
  if (effectiveRoutes(running).empty() != effectiveRoutes(next).empty()) {
    changed.emplace_back("routes");  // from none to some, or back
    next.routes = running.routes;
    next.upstream.url = running.upstream.url;
  }
  // The session store, its keys and the session manager live as long as the process.
  const auto& rs = running.session;
  auto& ns = next.session;
  keep("session.store", rs.store, ns.store, changed);
  keep("session.cookie_name", rs.cookie_name, ns.cookie_name, changed);
  keep("session.idle_timeout", rs.idle_timeout, ns.idle_timeout, changed);
  keep("session.absolute_timeout", rs.absolute_timeout, ns.absolute_timeout, changed);
  keep("session.max_per_user", rs.max_per_user, ns.max_per_user, changed);
  keep("session.encryption_key_file", rs.encryption_key_file, ns.encryption_key_file, changed);
  keep("session.encryption_keys", rs.encryption_keys, ns.encryption_keys, changed);
  keep("session.refresh_before_expiry", rs.refresh_before_expiry, ns.refresh_before_expiry,
       changed);
  keep("session.cache_size", rs.cache_size, ns.cache_size, changed);
  keep("session.cache_ttl", rs.cache_ttl, ns.cache_ttl, changed);
  keep("session.max_pending_logins", rs.max_pending_logins, ns.max_pending_logins, changed);
  keep("session.max_pending_logins_per_ip", rs.max_pending_logins_per_ip,
       ns.max_pending_logins_per_ip, changed);

  if (derivedCallback && !changed.empty()) {
    next.provider.callback_url.clear();
    deriveDefaults(next);
  }
  return {std::move(next), std::move(changed)};
}

}  // namespace authgate::config
