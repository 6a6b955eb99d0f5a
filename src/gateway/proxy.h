// The reverse proxy behind `upstream.url` (CONTRACT.md "anything else"): the catch-all
// route takes the connection over once the request header is read, authenticates it
// (session cookie or bearer token), then streams the request body to the upstream and
// the response back through fixed 64 KiB buffers (never a whole body in memory),
// passes WebSocket (any HTTP/1.1 Upgrade) connections through after the 101, and gives
// the client connection back to the server for its next request when both sides
// allow keep-alive and that request is for another route (requests for the catch-all
// stay in the proxy: no per-request hand-over). Upstream connections are pooled (idle keep-alive
// sockets, LIFO).
//
// Header rules towards the upstream: hop-by-hop fields removed (RFC 9110 s7.6.1),
// incoming X-Auth-Request-* removed, Authorization removed unless it carries the bearer
// token authgate just validated, authgate's own session cookie removed, X-Forwarded-*
// set (forwarded.h), identity headers added (identity.h). Timeouts: connect 5 s, the
// response header within upstream.timeout, every body read or write within
// server.idle_timeout, tunnels closed after tunnel_idle_timeout without traffic.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/auth_context.h"
#include "gateway/router.h"
#include "net/http.h"

namespace authgate::gateway {

class BearerVerifier;
struct ProxyShared;

// upstream.url: http://host[:port][/base/path]. https upstreams are not supported yet.
struct UpstreamTarget {
  std::string host;       // name or IP literal (without brackets)
  std::string port;       // "80" by default
  std::string base_path;  // "" or "/base/path" (no trailing slash)
  std::string authority;  // host[:port] as written, for requests without a Host
};
std::optional<UpstreamTarget> parseUpstreamUrl(std::string_view url, std::string* problem);

struct ProxyOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds response_timeout{60000};  // upstream.timeout
  std::chrono::milliseconds io_timeout{60000};        // one body read/write (idle_timeout)
  std::chrono::milliseconds tunnel_idle_timeout{600000};
  // Idle upstream connections are reused for at most this long: below the 5 s
  // keep-alive timeout of Node's http server, the shortest common default.
  std::chrono::milliseconds pool_idle{4000};
  std::size_t pool_max_idle = 128;  // per I/O thread
  std::size_t max_header_bytes = 16 * 1024;
  int auth_threads = 0;  // worker threads for session/bearer lookups; 0: 2 x cores
};

class Proxy {
 public:
  // nullptr (and `problem`) when upstream.url cannot be used.
  static std::unique_ptr<Proxy> create(const AuthContext& auth, const UpstreamTarget& target,
                                       ProxyOptions options);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // The StreamHandler of the catch-all route.
  void handle(std::unique_ptr<net::StreamHandoff> handoff);
  // Waits for in-flight authentications; called after the server stopped.
  void stop();

 private:
  friend void addProxyRoute(Router& router, Proxy& proxy);
  explicit Proxy(std::shared_ptr<ProxyShared> shared);
  std::shared_ptr<ProxyShared> shared_;
};

// Registers the catch-all "/*" for every method. Register it after every other route:
// exact routes always win, patterned ones registered earlier win.
void addProxyRoute(Router& router, Proxy& proxy);

// --- Pure helpers (unit-tested) ------------------------------------------------------

// Removes the hop-by-hop fields (RFC 9110 s7.6.1): those named by Connection, and
// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
// Proxy-Authorization, Proxy-Authenticate and Upgrade (kept when `keepUpgrade`, for a
// WebSocket handshake). The caller re-establishes the framing (chunked) itself.
void stripHopByHop(http::fields& h, bool keepUpgrade);

// Connection has the "upgrade" token and Upgrade is present (RFC 9110 s7.8).
bool isUpgradeRequest(const http::fields& h);

// The Cookie header without the cookie `name` (authgate's session cookie is a
// credential for authgate, not for the upstream); "" when nothing is left.
std::string removeCookie(std::string_view cookieHeader, std::string_view name);

// base_path + the client's target ("/x?y" -> "/base/x?y").
std::string upstreamTarget(const UpstreamTarget& up, std::string_view clientTarget);

}  // namespace authgate::gateway
