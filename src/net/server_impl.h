// The engine's shared state (internal to src/net): I/O threads, the worker pool, the
// acceptor with its limits, per-route metrics and the registry of open connections.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/server.h"
#include "net/upstream.h"

namespace authgate::net {

class Connection;

// One listening socket: the main one, or the admin one (server.admin_listen).
struct Listener {
  Listener(boost::asio::strand<boost::asio::io_context::executor_type>& control, ListenerKind k)
      : acceptor(control), timer(control), kind(k) {}
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::steady_timer timer;  // accept back-off
  ListenerKind kind;
  // Accept back-off after EMFILE/ENFILE (control strand only).
  std::chrono::milliseconds backoff{0};
  std::chrono::steady_clock::time_point warned{};
  std::size_t suppressed = 0;
};

// Metric handles of one route, resolved once so the hot path only touches atomics.
struct RouteStats {
  std::string label;
  core::Histogram* latency = nullptr;
  std::array<std::atomic<core::Counter*>, 500> by_status{};  // status 100..599
};

// What one I/O thread owns: its io_context and its idle upstream connections.
struct IoThread {
  IoThread(std::size_t poolMax, std::chrono::milliseconds poolIdle)
      : ioc(std::make_unique<boost::asio::io_context>(1)), pool(poolMax, poolIdle) {}
  // Concurrency hint 1: Asio skips locking for work posted from the owning thread.
  std::unique_ptr<boost::asio::io_context> ioc;
  UpstreamPool pool;
};

class ServerImpl {
 public:
  ServerImpl(ServerOptions options, const RouteTable& table, core::MetricsRegistry& registry);
  ~ServerImpl();

  RouteStats& statsFor(const Route* r) { return *stats[r ? r->id : stats.size() - 1]; }
  core::Counter& statusCounter(RouteStats& s, unsigned status);

  void accept(Listener& l);
  void onAccepted(Listener& l, IoThread& t, boost::asio::ip::tcp::socket socket);
  void reject(boost::asio::ip::tcp::socket socket, const std::string& canned);
  void onAcceptError(Listener& l, const boost::system::error_code& ec);
  void onConnectionGone(Connection* c, const boost::asio::ip::address& remote, ListenerKind kind);
  void drainOnControl();
  void releaseContexts();
  void stopContexts();

  ServerOptions opt;
  const RouteTable& routes;
  core::MetricsRegistry& metrics;
  std::shared_ptr<spdlog::logger> log;
  std::vector<std::unique_ptr<RouteStats>> stats;
  core::Gauge* in_flight = nullptr;
  core::Gauge* open_connections = nullptr;
  core::Counter* rejected_total = nullptr;
  core::Counter* rejected_per_ip = nullptr;
  core::Counter* accept_errors = nullptr;
  std::atomic<bool> draining{false};
  std::atomic<bool> destroying{false};
  std::mutex tls_mu;
  std::shared_ptr<boost::asio::ssl::context> tls;  // under tls_mu; nullptr: plain HTTP
  std::string canned_503;  // serialized once: the answer past max_connections
  std::string canned_429;  // past max_connections_per_ip

  std::mutex connections_mu;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  std::unordered_map<boost::asio::ip::address, std::size_t> per_ip;  // under connections_mu
  std::size_t admin_open = 0;  // connections of the admin listener, under connections_mu

  // Declared after everything connections touch in their destructors, before the I/O
  // objects and the pool (which must go first): destroyed in reverse order.
  int threads = 1;
  std::vector<IoThread> io;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      keep_running;
  std::atomic<std::size_t> next_context{0};
  boost::asio::strand<boost::asio::io_context::executor_type> control;  // acceptor, signals
  Listener main;
  std::optional<Listener> admin;  // server.admin_listen set
  boost::asio::signal_set signals;
  boost::asio::signal_set reload_signal;  // SIGHUP
  boost::asio::steady_timer grace;
  std::unique_ptr<boost::asio::thread_pool> pool;
};

}  // namespace authgate::net
