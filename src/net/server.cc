#include "net/server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <csignal>
#include <thread>

#include "net/connection.h"
#include "net/server_impl.h"

namespace authgate::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kUnmatched = "unmatched";
constexpr auto kAcceptWarnEvery = std::chrono::seconds(10);
constexpr auto kAcceptBackoffMin = std::chrono::milliseconds(10);
constexpr auto kAcceptBackoffMax = std::chrono::milliseconds(1000);
constexpr std::size_t kMaxAdminConnections = 64;

struct Endpoint {
  asio::ip::address address;
  std::uint16_t port = 0;
};

Result<Endpoint> parseListen(std::string_view listen) {
  auto invalid = [] {
    return error_code(boost::system::errc::make_error_code(boost::system::errc::invalid_argument));
  };
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) return invalid();
  std::string_view host = listen.substr(0, colon);
  std::string_view port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  Endpoint ep;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty() || value > 65535) {
    return invalid();
  }
  ep.port = static_cast<std::uint16_t>(value);
  if (host.empty() || host == "*") {
    ep.address = asio::ip::address_v4::any();
  } else if (host == "localhost") {
    ep.address = asio::ip::address_v4::loopback();
  } else {
    boost::system::error_code aec;
    ep.address = asio::ip::make_address(std::string(host), aec);
    if (aec) return error_code(aec);
  }
  return ep;
}

Result<void> bind(tcp::acceptor& a, const Endpoint& ep) {
  tcp::endpoint endpoint(ep.address, ep.port);
  boost::system::error_code ec;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    a.close(ignored);
    return error_code(ec);
  }
  return {};
}

std::string localAddress(const tcp::acceptor& a) {
  boost::system::error_code ec;
  auto ep = a.local_endpoint(ec);
  if (ec) return {};
  auto host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

// SIGHUP: the reload runs on the worker pool (it reads files and opens stores), one at
// a time, and the signal is watched again.
void awaitReload(ServerImpl& impl) {
  impl.reload_signal.async_wait([&impl](const boost::system::error_code& ec, int) {
    if (ec) return;
    spdlog::info("received SIGHUP; reloading");
    asio::post(*impl.pool, [&impl] { impl.opt.on_reload(); });
    awaitReload(impl);
  });
}

// The answer to a connection over a limit, serialized once by Beast.
std::string cannedAnswer(http::status status, std::string_view body) {
  Response res{status, 11};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set(http::field::retry_after, "1");
  res.keep_alive(false);
  res.body() = std::string(body);
  res.prepare_payload();
  std::string out;
  serializeHeader(out, res);
  out += res.body();
  return out;
}

bool isResourceError(const boost::system::error_code& ec) {
  return ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == boost::system::errc::no_buffer_space || ec == boost::system::errc::not_enough_memory;
}

// A TLS server context from PEM files: TLS 1.2 and 1.3 only (RFC 8996 retired 1.0 and
// 1.1), no compression, no renegotiation.
Result<std::shared_ptr<asio::ssl::context>> makeTlsContext(const std::string& cert,
                                                           const std::string& key,
                                                           std::string* problem) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression |
                       asio::ssl::context::single_dh_use,
                   ec);
  if (!ec) SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (!ec) SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);
  if (!ec) ctx->use_certificate_chain_file(cert, ec);
  if (ec) {
    if (problem) *problem = "server.tls.cert_file: cannot use " + cert + ": " + ec.message();
    return error_code(ec);
  }
  ctx->use_private_key_file(key, asio::ssl::context::pem, ec);
  if (!ec && SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ec = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  }
  if (ec) {
    if (problem) {
      *problem = "server.tls.key_file: cannot use " + key + " (unreadable, or not the key of " +
                 cert + "): " + ec.message();
    }
    return error_code(ec);
  }
  return ctx;
}

}  // namespace

std::size_t defaultMaxConnections() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 65536;
  const auto soft = static_cast<std::size_t>(rl.rlim_cur);
  constexpr std::size_t kReserve = 32;
  return std::max<std::size_t>(16, soft > kReserve ? (soft - kReserve) / 2 : 0);
}

ServerImpl::ServerImpl(ServerOptions options, const RouteTable& table,
                       core::MetricsRegistry& registry)
    : opt(std::move(options)),
      routes(table),
      metrics(registry),
      log(opt.access_log ? opt.access_log : spdlog::default_logger()),
      threads(opt.threads > 0
                  ? opt.threads
                  : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()))),
      io([this] {
        std::vector<IoThread> v;
        v.reserve(static_cast<std::size_t>(threads));
        for (int i = 0; i < threads; ++i) {
          v.emplace_back(opt.forward.pool_max_idle, opt.forward.pool_idle);
        }
        return v;
      }()),
      control(asio::make_strand(*io.front().ioc)),
      main(control, opt.admin_listen.empty() ? ListenerKind::kOnly : ListenerKind::kMain),
      signals(control),
      reload_signal(control),
      grace(control) {
  if (!opt.admin_listen.empty()) admin.emplace(control, ListenerKind::kAdmin);
  if (opt.max_connections == 0) opt.max_connections = defaultMaxConnections();
  if (opt.max_connections_per_ip == 0) {
    opt.max_connections_per_ip = std::max<std::size_t>(256, opt.max_connections / 4);
  }
  for (auto& t : io) keep_running.emplace_back(asio::make_work_guard(*t.ioc));
  int workers = opt.blocking_threads > 0 ? opt.blocking_threads : 2 * threads;
  pool = std::make_unique<asio::thread_pool>(static_cast<std::size_t>(workers));
  const auto buckets = core::defaultLatencyBuckets();
  auto addStats = [&](std::string_view label) {
    auto s = std::make_unique<RouteStats>();
    s->label = std::string(label);
    s->latency = &metrics.histogram("authgate_http_request_duration_seconds",
                                    "HTTP request latency by route, seconds", {{"route", s->label}},
                                    buckets);
    stats.push_back(std::move(s));
  };
  for (std::size_t i = 0; i < routes.size(); ++i) addStats(routes.at(i).pattern);
  addStats(kUnmatched);
  in_flight = &metrics.gauge("authgate_http_requests_in_flight", "HTTP requests being handled now");
  open_connections =
      &metrics.gauge("authgate_http_connections_open", "Client connections open now");
  const char* rejectedHelp = "Connections refused at accept, by the limit they hit";
  rejected_total = &metrics.counter("authgate_http_connections_rejected_total", rejectedHelp,
                                    {{"limit", "max_connections"}});
  rejected_per_ip = &metrics.counter("authgate_http_connections_rejected_total", rejectedHelp,
                                     {{"limit", "max_connections_per_ip"}});
  accept_errors = &metrics.counter("authgate_http_accept_errors_total",
                                   "accept() failures (EMFILE, ENFILE, ...)");
  canned_503 = cannedAnswer(http::status::service_unavailable,
                            "service unavailable: too many open connections\n");
  canned_429 = cannedAnswer(http::status::too_many_requests,
                            "too many requests: too many open connections from this address\n");
}

ServerImpl::~ServerImpl() {
  destroying.store(true);
  for (auto& t : io) t.pool.clear();
}

core::Counter& ServerImpl::statusCounter(RouteStats& s, unsigned status) {
  status = std::clamp(status, 100U, 599U);
  auto& slot = s.by_status[status - 100];
  auto* c = slot.load(std::memory_order_acquire);
  if (c == nullptr) {
    c = &metrics.counter("authgate_http_requests_total", "HTTP requests by route and status",
                         {{"route", s.label}, {"status", std::to_string(status)}});
    slot.store(c, std::memory_order_release);
  }
  return *c;
}

void ServerImpl::releaseContexts() {
  for (auto& g : keep_running) g.reset();
}

void ServerImpl::stopContexts() {
  for (auto& t : io) t.ioc->stop();
}

void ServerImpl::accept(Listener& l) {
  // New connections go to the I/O threads in turn.
  auto& t = io[next_context.fetch_add(1, std::memory_order_relaxed) % io.size()];
  l.acceptor.async_accept(*t.ioc,
                          [this, &l, &t](const boost::system::error_code& ec, tcp::socket socket) {
                            if (ec == asio::error::operation_aborted || !l.acceptor.is_open())
                              return;
                            if (ec) {
                              onAcceptError(l, ec);
                              return;
                            }
                            l.backoff = std::chrono::milliseconds(0);
                            if (!draining.load()) onAccepted(l, t, std::move(socket));
                            accept(l);
                          });
}

// Without a descriptor to accept with, the pending connection stays in the listen
// backlog and accept fails again at once: retrying in a loop spins a core and floods
// the log. Pause instead (10 ms, doubling to 1 s), and warn once per 10 s with a count.
void ServerImpl::onAcceptError(Listener& l, const boost::system::error_code& ec) {
  accept_errors->inc();
  const auto now = std::chrono::steady_clock::now();
  if (now - l.warned >= kAcceptWarnEvery) {
    if (l.suppressed > 0) {
      spdlog::warn(
          "accept failed: {} ({} more since the last warning); connections wait in "
          "the listen backlog. Raise the file-descriptor limit (LimitNOFILE, ulimit "
          "-n) or lower server.max_connections",
          ec.message(), l.suppressed);
    } else {
      spdlog::warn(
          "accept failed: {}; connections wait in the listen backlog. Raise the "
          "file-descriptor limit (LimitNOFILE, ulimit -n) or lower "
          "server.max_connections",
          ec.message());
    }
    l.warned = now;
    l.suppressed = 0;
  } else {
    ++l.suppressed;
  }
  if (!isResourceError(ec)) {
    accept(l);  // e.g. ECONNABORTED: the next connection is unaffected
    return;
  }
  l.backoff = std::clamp(l.backoff * 2, kAcceptBackoffMin, kAcceptBackoffMax);
  l.timer.expires_after(l.backoff);
  l.timer.async_wait([this, &l](const boost::system::error_code& tec) {
    if (!tec && l.acceptor.is_open()) accept(l);
  });
}

void ServerImpl::onAccepted(Listener& l, IoThread& t, tcp::socket socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec).address();
  if (ec) return;  // already gone
  const bool adminListener = l.kind == ListenerKind::kAdmin;
  const bool exempt = adminListener || opt.forward.policy.trusted.contains(remote);
  std::shared_ptr<Connection> c;
  const std::string* refusal = nullptr;
  {
    std::lock_guard lock(connections_mu);
    // The admin listener has its own small bound, so probes still answer when the main
    // listener is full.
    if (adminListener ? admin_open >= kMaxAdminConnections
                      : connections.size() - admin_open >= opt.max_connections) {
      rejected_total->inc();
      refusal = &canned_503;
    } else if (!exempt && per_ip[remote] >= opt.max_connections_per_ip) {
      rejected_per_ip->inc();
      refusal = &canned_429;
    } else {
      if (adminListener) {
        ++admin_open;
      } else {
        ++per_ip[remote];
      }
      std::shared_ptr<asio::ssl::context> context;
      if (!adminListener) {
        std::lock_guard tlsLock(tls_mu);
        context = tls;
      }
      c = std::make_shared<Connection>(*this, t, std::move(socket), std::move(context), l.kind);
      connections.emplace(c.get(), c);
      open_connections->inc();
    }
  }
  if (refusal != nullptr) {
    reject(std::move(socket), *refusal);
    return;
  }
  c->start();
}

// The client gets a reason and the descriptor goes at once; nothing is read.
void ServerImpl::reject(tcp::socket socket, const std::string& canned) {
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*s, asio::buffer(canned), [s](const boost::system::error_code&, std::size_t) {
    boost::system::error_code ignored;
    s->shutdown(tcp::socket::shutdown_both, ignored);
    s->close(ignored);
  });
}

void ServerImpl::onConnectionGone(Connection* c, const asio::ip::address& remote,
                                  ListenerKind kind) {
  std::size_t remaining = 0;
  {
    std::lock_guard lock(connections_mu);
    connections.erase(c);
    if (kind == ListenerKind::kAdmin) {
      --admin_open;
    } else if (auto it = per_ip.find(remote); it != per_ip.end() && --it->second == 0) {
      per_ip.erase(it);
    }
    remaining = connections.size();
  }
  open_connections->dec();
  // The last connection of a drain: nothing left to wait for.
  if (remaining == 0 && draining.load() && !destroying.load()) {
    asio::post(control, [this] {
      grace.cancel();
      releaseContexts();
    });
  }
}

void ServerImpl::drainOnControl() {
  boost::system::error_code ec;
  main.acceptor.close(ec);  // from here connects are refused
  main.timer.cancel();
  if (admin) {
    admin->acceptor.close(ec);
    admin->timer.cancel();
  }
  signals.cancel(ec);
  reload_signal.cancel(ec);
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(connections_mu);
    for (auto& [ptr, weak] : connections) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  spdlog::info("draining: {} open connection(s), grace {} ms", live.size(),
               opt.shutdown_grace.count());
  for (auto& s : live) s->closeIfIdle();
  if (live.empty()) {
    releaseContexts();
    return;
  }
  live.clear();
  grace.expires_after(opt.shutdown_grace);
  grace.async_wait([this](const boost::system::error_code& gec) {
    if (gec) return;  // every connection finished in time
    std::size_t left = 0;
    {
      std::lock_guard lock(connections_mu);
      left = connections.size();
    }
    if (left == 0) {
      releaseContexts();
      return;
    }
    spdlog::warn("drain grace expired; closing {} connection(s)", left);
    stopContexts();
  });
}

Server::Server(ServerOptions options, const RouteTable& routes, core::MetricsRegistry& metrics)
    : impl_(std::make_shared<ServerImpl>(std::move(options), routes, metrics)) {}

Server::~Server() = default;

Result<void> Server::reloadTls(std::string* problem) {
  auto& o = impl_->opt;
  if (o.tls_cert_file.empty()) return {};
  auto ctx = makeTlsContext(o.tls_cert_file, o.tls_key_file, problem);
  if (!ctx) return ctx.error();
  std::lock_guard lock(impl_->tls_mu);
  impl_->tls = std::move(*ctx);
  return {};
}

Result<void> Server::start() {
  auto ep = parseListen(impl_->opt.listen);
  if (!ep) return ep.error();
  // TLS is loaded here unless the caller did (reloadTls, with a reason to report).
  bool haveTls = false;
  {
    std::lock_guard lock(impl_->tls_mu);
    haveTls = impl_->tls != nullptr;
  }
  if (!haveTls) {
    if (auto t = reloadTls(nullptr); !t) return t.error();
  }
  if (auto b = bind(impl_->main.acceptor, *ep); !b) return b.error();
  if (impl_->admin) {
    auto aep = parseListen(impl_->opt.admin_listen);
    if (!aep) return aep.error();
    if (auto b = bind(impl_->admin->acceptor, *aep); !b) return b.error();
  }
  boost::system::error_code ec;
  if (impl_->opt.handle_signals) {
    impl_->signals.add(SIGTERM, ec);
    if (!ec) impl_->signals.add(SIGINT, ec);
    if (ec) return error_code(ec);
    impl_->signals.async_wait([impl = impl_.get()](const boost::system::error_code& sec, int sig) {
      if (sec) return;
      spdlog::info("received signal {}; draining", sig);
      impl->draining.store(true);
      impl->drainOnControl();
    });
    if (impl_->opt.on_reload) {
      impl_->reload_signal.add(SIGHUP, ec);
      if (ec) return error_code(ec);
      awaitReload(*impl_);
    }
  }
  asio::post(impl_->control, [impl = impl_.get()] {
    impl->accept(impl->main);
    if (impl->admin) impl->accept(*impl->admin);
  });
  return {};
}

std::uint16_t Server::port() const {
  boost::system::error_code ec;
  auto ep = impl_->main.acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::string Server::boundAddress() const { return localAddress(impl_->main.acceptor); }

bool Server::mainIsLoopback() const {
  boost::system::error_code ec;
  const auto ep = impl_->main.acceptor.local_endpoint(ec);
  return !ec && ep.address().is_loopback();
}

std::string Server::boundAdminAddress() const {
  return impl_->admin ? localAddress(impl_->admin->acceptor) : std::string();
}

int Server::run() {
  auto& impl = *impl_;
  std::vector<std::thread> extra;
  extra.reserve(static_cast<std::size_t>(impl.threads - 1));
  for (int i = 1; i < impl.threads; ++i) {
    extra.emplace_back([&impl, i] { impl.io[static_cast<std::size_t>(i)].ioc->run(); });
  }
  impl.io.front().ioc->run();
  for (auto& t : extra) t.join();
  impl.pool->join();
  return 0;
}

void Server::drain() {
  if (impl_->draining.exchange(true)) return;
  asio::post(impl_->control, [impl = impl_.get()] { impl->drainOnControl(); });
}

}  // namespace authgate::net
