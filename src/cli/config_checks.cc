#include "cli/config_checks.h"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <optional>
#include <string>

#include "authgate/session/postgres_store.h"
#include "authgate/session/redis_store.h"
#include "authgate/session/store_factory.h"

namespace authgate::cli {
namespace {

struct Endpoint {
  std::string origin;  // scheme://host[:port], lower-case
  std::string host;    // without brackets
  std::string port;    // explicit or the scheme's default
  std::string path;
};

std::optional<Endpoint> endpointOf(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u || !u->has_authority()) return std::nullopt;
  Endpoint e;
  const std::string scheme(u->scheme());
  e.host = u->host_address();
  e.port = u->has_port() ? std::string(u->port()) : (scheme == "https" ? "443" : "80");
  e.origin = scheme + "://" + std::string(u->encoded_host_and_port());
  for (auto& c : e.origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  e.path = u->path().empty() ? "/" : std::string(u->path());
  return e;
}

bool isLoopback(std::string host) {
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

bool isWildcard(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

// server.listen "host:port" / "[v6]:port" -> (host, port).
std::pair<std::string, std::string> splitListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return {listen, ""};
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {host, listen.substr(colon + 1)};
}

// A loopback URL the browser uses must reach the listening socket itself.
void checkReachesListen(const config::Config& c, const std::string& key, const Endpoint& e,
                        DeploymentFindings& out) {
  if (!isLoopback(e.host)) return;  // behind a proxy or DNS: nothing to compare
  const auto [host, port] = splitListen(c.server.listen);
  if (port == "0") return;  // a free port, chosen at start (tests)
  const bool hostOk = isWildcard(host) || isLoopback(host);
  if (port == e.port && hostOk) return;
  out.problems.push_back(
      {"server.listen", "\"" + c.server.listen + "\" cannot receive " + e.origin + " (" + key +
                            "): listen on " + (hostOk ? "port " + e.port : "a loopback address") +
                            ", or set " + key + " to the address the browser uses"});
}

}  // namespace

DeploymentFindings deploymentChecks(const config::Config& c) {
  DeploymentFindings out;
  const auto callback = endpointOf(c.provider.callback_url);
  if (callback) {
    const std::string own = c.server.path_prefix + "/callback";
    const bool aliases = config::openMetadataAliases(c);
    if (callback->path != own && !(aliases && (callback->path == "/callback" ||
                                               callback->path == "/api/v1/auth/callback"))) {
      out.problems.push_back(
          {"provider.callback_url",
           "path \"" + callback->path + "\" is not served by authgate (it answers " + own +
               (aliases ? ", /callback and /api/v1/auth/callback"
                        : "; OpenMetadata's /callback only with compat.openmetadata_aliases") +
               "); the provider's redirect would end on a 404"});
    }
  }

  if (auto where = session::parseStoreUri(c.session.store);
      where && session::isSharedStore(where->kind) && c.session.encryption_keys.empty() &&
      c.session.encryption_key_file.empty()) {
    out.problems.push_back(
        {"session.encryption_key_file",
         "required for a shared store (every instance must read the others' sessions with the "
         "same key; serve refuses to start without one): create it with `authgate keys "
         "generate --file FILE`"});
  }

  if (const std::string_view store = c.session.store;
      store.rfind("postgres://", 0) == 0 || store.rfind("postgresql://", 0) == 0) {
    // libpq's own reason, the password replaced.
    std::string why;
    if (!session::checkPostgresUri(store, &why)) {
      out.problems.push_back({"session.store", "libpq does not accept this URI: " + why});
    }
  }

  if (const std::string_view store = c.session.store; store.rfind("redis-sentinel://", 0) == 0) {
    // The settings check the shape; the parameters, ports and names are the store's.
    std::string why;
    if (!session::parseRedisSentinelUri(store, &why)) {
      out.problems.push_back({"session.store", "not a valid redis-sentinel URI: " + why});
    }
  }

  const auto publicUrl = endpointOf(c.server.public_url);
  if (publicUrl) checkReachesListen(c, "server.public_url", *publicUrl, out);
  if (callback && (!publicUrl || publicUrl->origin != callback->origin)) {
    checkReachesListen(c, "provider.callback_url", *callback, out);
  }
  if (publicUrl && callback && publicUrl->origin != callback->origin) {
    out.warnings.push_back(
        {"provider.callback_url", "origin " + callback->origin +
                                      " differs from server.public_url " + publicUrl->origin +
                                      ": the login cookie set on " + publicUrl->origin +
                                      " is not sent there, so sign-ins started there fail"});
  }

  if (c.upstream.url.empty() && c.routes.empty()) {
    out.warnings.push_back(
        {"upstream.url", "not set: only " + c.server.path_prefix +
                             "/* and the OpenMetadata aliases will answer; every other path is "
                             "404 (set upstream.url to the application to protect)"});
  }
  return out;
}

}  // namespace authgate::cli
