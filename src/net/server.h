// The HTTP engine: one HTTP/1.1 server on Boost.Beast/Asio that answers routes and
// forwards requests to upstreams (streamed bodies, WebSocket tunnels) in one connection
// state machine (net/connection.h, net/forwarder.h). Routes come from a RouteTable
// (gateway::Router); the gateway only decides, it never touches a socket.
//
// Threads: one single-threaded io_context per I/O thread; each connection is accepted
// onto one of them in turn and stays there, so its handlers never run concurrently and
// need no strand. One worker pool runs the handlers that defer themselves
// (net/http.h "Execution model"). Per connection: one request parsed at a time and one
// write in flight, so pipelined requests are answered in order.
//
// Limits: header block over max_header_bytes -> 431, body over max_body_bytes -> 413
// (forwarded bodies stream and have no limit), framing that is not strictly RFC 9112
// (net/framing.h) -> 400, a request that does not fully arrive within read_timeout ->
// 408, a keep-alive connection idle for idle_timeout (read_timeout before its first
// request) -> closed; more than max_connections open connections -> 503 and close,
// more than max_connections_per_ip from one address -> 429 and close; accept failing
// for lack of file descriptors -> accepting pauses (backing off to 1 s) with one
// warning per 10 s. Each answered request gets an id (X-Request-Id), one access-log line
// on the `access_log` logger and metrics, whoever answered it.
//
// Lifecycle: start() binds and installs the SIGTERM/SIGINT handler; run() serves on
// `threads` threads (the caller's included) until drained; drain() (what the signal
// handler calls) closes the acceptor so new connections are refused, closes idle
// keep-alive connections, lets in-flight requests finish and closes their connections
// after the response, and force-closes whatever remains after shutdown_grace.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "authgate/core/error.h"
#include "authgate/core/metrics.h"
#include "net/http.h"
#include "net/trust_boundary.h"

namespace spdlog {
class logger;
}

namespace authgate::net {

class ServerImpl;

struct ForwardOptions {
  ForwardPolicy policy;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds response_timeout{60000};  // upstream.timeout
  std::chrono::milliseconds tunnel_idle_timeout{600000};
  // Idle upstream connections are reused for at most this long: below the 5 s
  // keep-alive timeout of Node's http server, the shortest common default.
  std::chrono::milliseconds pool_idle{4000};
  std::size_t pool_max_idle = 128;  // per upstream and I/O thread
  // The page for an upstream that cannot be reached or does not answer (502/504);
  // `head` is the client's request head, `code` a stable reason. Default: plain text.
  std::function<Response(const Request& head, http::status, std::string_view code)> error_page;
};

struct ServerOptions {
  std::string listen = "127.0.0.1:0";  // host:port, [v6]:port; port 0 picks a free port
  // A second listener for the operator routes (Route::admin), plain HTTP; "" : none.
  std::string admin_listen;
  int threads = 0;           // I/O threads; 0: std::thread::hardware_concurrency()
  int blocking_threads = 0;  // worker pool for deferred handlers; 0: 2 x I/O threads
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};  // also every forwarded body read/write
  std::chrono::milliseconds shutdown_grace{30'000};
  // 0: from the file-descriptor limit (net::defaultMaxConnections).
  std::size_t max_connections = 0;
  // Per client address (TCP peer); peers in trusted_proxies are exempt. 0: a quarter of
  // max_connections, at least 256.
  std::size_t max_connections_per_ip = 0;
  // TLS on the listener (server.tls): PEM certificate chain and private key. Empty: plain
  // HTTP. TLS 1.2 and 1.3 only.
  std::string tls_cert_file;
  std::string tls_key_file;
  bool handle_signals = true;  // SIGTERM/SIGINT -> drain()
  // With handle_signals: SIGHUP runs this on the worker pool (a configuration reload).
  std::function<void()> on_reload;
  // Access-log sink; nullptr: spdlog's default logger at the time of construction.
  std::shared_ptr<spdlog::logger> access_log;
  ForwardOptions forward;
};

// Half of the soft RLIMIT_NOFILE (a forwarded connection holds two descriptors) less a
// reserve for the store, logs and the provider client; at least 16.
std::size_t defaultMaxConnections();

class Server {
 public:
  Server(ServerOptions options, const RouteTable& routes, core::MetricsRegistry& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Errors: invalid listen address, bind/listen failures.
  Result<void> start();
  // The bound port (after start()).
  std::uint16_t port() const;
  // "host:port" actually bound (after start()).
  std::string boundAddress() const;
  // The admin listener's, or "" without one.
  std::string boundAdminAddress() const;
  // The main listener is bound to a loopback address (after start()).
  bool mainIsLoopback() const;

  // Serves until drained; returns the process exit code (0 after a drain).
  int run();
  // Thread-safe, idempotent; what SIGTERM/SIGINT trigger.
  void drain();
  // Reads the TLS certificate and key again (a renewed certificate); new connections
  // use them, open ones keep theirs. On failure the old ones stay and the reason is
  // returned. Thread-safe. Does nothing without TLS.
  Result<void> reloadTls(std::string* problem);

 private:
  std::shared_ptr<ServerImpl> impl_;
};

}  // namespace authgate::net
