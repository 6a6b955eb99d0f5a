// HTTP/1.1 server on Boost.Beast/Asio. The session class only does I/O; routes come from
// a RouteTable (request -> response functions). See docs/ARCHITECTURE.md.
//
// Threads: one single-threaded io_context per I/O thread; each connection is accepted
// onto one of them in turn and stays there, so its handlers never run concurrently and
// need no strand. Per connection: one request parsed at a time and one write in
// flight, so pipelined requests are answered in order. Limits: header block over
// max_header_bytes -> 431, body over max_body_bytes -> 413, a request that does not
// fully arrive within read_timeout -> 408, a keep-alive connection idle for idle_timeout
// (read_timeout before its first request) -> closed. Each answered request gets an id
// (X-Request-Id), one JSON access-log line on the `access_log` logger and metrics.
//
// Lifecycle: start() binds and installs the SIGTERM/SIGINT handler; run() serves on
// `threads` threads (the caller's included) until drained; drain() (what the signal
// handler calls) closes the acceptor so new connections are refused, closes idle
// keep-alive connections, lets in-flight requests finish and closes their connections
// after the response, and force-closes whatever remains after shutdown_grace.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "authgate/core/error.h"
#include "authgate/core/metrics.h"
#include "net/http.h"

namespace spdlog {
class logger;
}

namespace authgate::net {

class ServerImpl;

struct ServerOptions {
  std::string listen = "127.0.0.1:0";  // host:port, [v6]:port; port 0 picks a free port
  int threads = 0;                     // I/O threads; 0: std::thread::hardware_concurrency()
  int blocking_threads = 0;            // worker pool for blocking routes; 0: 2 x I/O threads
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{30'000};
  bool handle_signals = true;  // SIGTERM/SIGINT -> drain()
  // Access-log sink; nullptr: spdlog's default logger at the time of construction.
  std::shared_ptr<spdlog::logger> access_log;
};

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

  // Serves until drained; returns the process exit code (0 after a drain).
  int run();
  // Thread-safe, idempotent; what SIGTERM/SIGINT trigger.
  void drain();

 private:
  std::shared_ptr<ServerImpl> impl_;
};

}  // namespace authgate::net
