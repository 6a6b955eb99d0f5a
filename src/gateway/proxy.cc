#include "gateway/proxy.h"
#include "authgate/core/codec.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffer_traits.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <charconv>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/bearer.h"
#include "gateway/forwarded.h"
#include "gateway/identity.h"
#include "gateway/web.h"

namespace authgate::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// --- pure helpers -------------------------------------------------------------------

namespace {

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class F>
void forEachToken(std::string_view list, F&& f) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = trimOws(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

std::string_view pathOf(std::string_view target) {
  auto q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

std::optional<UpstreamTarget> parseUpstreamUrl(std::string_view url, std::string* problem) {
  auto fail = [&](std::string why) -> std::optional<UpstreamTarget> {
    if (problem) *problem = std::move(why);
    return std::nullopt;
  };
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return fail("is not an absolute URL");
  if (u->scheme() != "http") return fail("only http:// upstreams are supported");
  if (u->has_query() || u->has_fragment()) return fail("must not have a query or fragment");
  if (u->has_userinfo()) return fail("must not carry credentials");
  UpstreamTarget t;
  t.host = u->host_address();
  if (t.host.empty()) return fail("has no host");
  t.port = u->has_port() ? std::string(u->port()) : "80";
  t.authority = std::string(u->encoded_host_and_port());
  std::string path(u->encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  t.base_path = std::move(path);
  return t;
}

void stripHopByHop(http::fields& h, bool keepUpgrade) {
  // Fields named by Connection are hop-by-hop too (RFC 9110 s7.6.1). Collect first:
  // erasing while iterating the Connection values would invalidate them.
  std::vector<std::string> named;
  auto connection = h.equal_range(http::field::connection);
  for (auto it = connection.first; it != connection.second; ++it) {
    forEachToken(it->value(), [&](std::string_view t) { named.emplace_back(t); });
  }
  for (const auto& n : named) {
    // Never let a client drop the framing or Host through Connection.
    if (core::asciiIEquals(n, "content-length") || core::asciiIEquals(n, "host")) continue;
    if (keepUpgrade && core::asciiIEquals(n, "upgrade")) continue;
    h.erase(n);
  }
  h.erase(http::field::connection);
  h.erase(http::field::keep_alive);
  h.erase("Proxy-Connection");
  h.erase(http::field::te);
  h.erase(http::field::trailer);
  h.erase(http::field::transfer_encoding);
  h.erase(http::field::proxy_authorization);
  h.erase(http::field::proxy_authenticate);
  if (!keepUpgrade) h.erase(http::field::upgrade);
}

bool isUpgradeRequest(const http::fields& h) {
  if (h.find(http::field::upgrade) == h.end()) return false;
  bool found = false;
  auto range = h.equal_range(http::field::connection);
  for (auto it = range.first; it != range.second; ++it) {
    forEachToken(it->value(),
                 [&](std::string_view t) { found = found || core::asciiIEquals(t, "upgrade"); });
  }
  return found;
}

std::string removeCookie(std::string_view header, std::string_view name) {
  std::string out;
  while (!header.empty()) {
    auto semi = header.find(';');
    auto item = trimOws(header.substr(0, semi));
    const bool ours = item.size() > name.size() && item.substr(0, name.size()) == name &&
                      item[name.size()] == '=';
    if (!item.empty() && !ours) {
      if (!out.empty()) out += "; ";
      out += item;
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return out;
}

std::string upstreamTarget(const UpstreamTarget& up, std::string_view clientTarget) {
  std::string out;
  out.reserve(up.base_path.size() + clientTarget.size());
  out += up.base_path;
  out += clientTarget;
  return out;
}

// --- upstream connection pool ----------------------------------------------------------

namespace {

// Idle keep-alive connections to the upstream, kept per I/O thread: a socket is only
// reused by connections of the io_context it was opened on, so its completions never
// cross threads. The sockets stay registered with the reactor (no epoll_ctl per
// request). Most recently used first: the likeliest to be alive.
class UpstreamPool {
 public:
  UpstreamPool(std::size_t max, std::chrono::milliseconds maxIdle) : max_(max), maxIdle_(maxIdle) {}

  std::unique_ptr<tcp::socket> take(const asio::any_io_executor& ex) {
    auto& b = bucketFor(ex);
    const void* ctx = contextOf(ex);
    const auto now = SteadyClock::now();
    for (;;) {
      Idle i;
      {
        std::lock_guard lock(b.mu);
        auto it = std::find_if(b.idle.rbegin(), b.idle.rend(),
                               [ctx](const Idle& e) { return e.context == ctx; });
        if (it == b.idle.rend()) return nullptr;
        i = std::move(*it);
        b.idle.erase(std::next(it).base());
      }
      if (now - i.since < maxIdle_ && alive(*i.socket)) return std::move(i.socket);
    }
  }

  void put(std::unique_ptr<tcp::socket> socket) {
    const auto ex = socket->get_executor();
    auto& b = bucketFor(ex);
    std::lock_guard lock(b.mu);
    if (b.idle.size() >= max_) b.idle.pop_front();
    b.idle.push_back(Idle{std::move(socket), contextOf(ex), SteadyClock::now()});
  }

  // Before the io_contexts go away (Proxy::stop).
  void clear() {
    for (auto& b : buckets_) {
      std::lock_guard lock(b.mu);
      b.idle.clear();
    }
  }

 private:
  static constexpr std::size_t kBuckets = 16;
  struct Idle {
    std::unique_ptr<tcp::socket> socket;
    const void* context = nullptr;
    SteadyClock::time_point since;
  };
  struct Bucket {
    std::mutex mu;
    std::deque<Idle> idle;
  };

  static const void* contextOf(const asio::any_io_executor& ex) {
    return &asio::query(ex, asio::execution::context);
  }
  Bucket& bucketFor(const asio::any_io_executor& ex) {
    auto h = std::hash<const void*>{}(contextOf(ex));
    return buckets_[(h >> 4) % kBuckets];
  }

  // An idle HTTP/1.1 connection has nothing to read: EOF means the upstream closed
  // it, data means it is out of step. Either way it is not reused.
  static bool alive(tcp::socket& s) {
    char c = 0;
    auto n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  const std::size_t max_;
  const std::chrono::milliseconds maxIdle_;
  std::array<Bucket, kBuckets> buckets_;
};

}  // namespace

// --- shared state ------------------------------------------------------------------------

struct ProxyShared {
  // The "access" logger (gateway/serve.cc), looked up once: the registry takes a lock.
  // Requests only arrive after serve() created it.
  spdlog::logger* accessLogger() {
    std::call_once(access_once, [this] { access_log = spdlog::get("access"); });
    return access_log.get();
  }
  std::once_flag access_once;
  std::shared_ptr<spdlog::logger> access_log;

  ProxyShared(const AuthContext& a, UpstreamTarget t, ProxyOptions o)
      : auth(a),
        target(std::move(t)),
        options(o),
        trusted(TrustedProxies::parse(a.config.server.trusted_proxies)),
        pool(o.pool_max_idle, o.pool_idle),
        workers(static_cast<std::size_t>(
            o.auth_threads > 0
                ? o.auth_threads
                : 2 * static_cast<int>(std::max(1U, std::thread::hardware_concurrency())))) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(target.host, ec);
    unsigned port = 0;
    std::from_chars(target.port.data(), target.port.data() + target.port.size(), port);
    if (!ec) literal = tcp::endpoint(addr, static_cast<std::uint16_t>(port));
  }

  const AuthContext& auth;
  const UpstreamTarget target;
  const ProxyOptions options;
  const TrustedProxies trusted;
  std::optional<tcp::endpoint> literal;  // upstream host is an IP literal: no resolver
  UpstreamPool pool;
  // The route table and the catch-all's id in it (addProxyRoute): a keep-alive client
  // connection stays in the proxy while its next request is for this route.
  const net::RouteTable* routes = nullptr;
  std::size_t route_id = 0;
  asio::thread_pool workers;

  // The server hands the connection over before it counts the request, so the proxy
  // counts its exchanges in the same series as every other route (route="/*").
  core::Histogram& latency = auth.metrics.histogram(
      "authgate_http_request_duration_seconds", "HTTP request latency by route, seconds",
      {{"route", "/*"}}, core::defaultLatencyBuckets());
  std::array<std::atomic<core::Counter*>, 500> by_status{};  // status 100..599

  core::Counter& statusCounter(unsigned status) {
    status = std::clamp(status, 100U, 599U);
    auto& slot = by_status[status - 100];
    auto* c = slot.load(std::memory_order_acquire);
    if (c == nullptr) {
      c = &auth.metrics.counter("authgate_http_requests_total", "HTTP requests by route and status",
                                {{"route", "/*"}, {"status", std::to_string(status)}});
      slot.store(c, std::memory_order_release);
    }
    return *c;
  }
};

// --- one proxied exchange ----------------------------------------------------------------

namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kReadChunk = 4096;

// Requests the proxy reads itself get their id from the server's generator.
void newRequestId(std::string& out) {
  char id[16];
  net::newRequestId(id);
  out.assign(id, sizeof id);
}

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<ProxyShared> shared, std::unique_ptr<net::StreamHandoff> h)
      : sh_(std::move(shared)),
        h_(std::move(h)),
        started_(SteadyClock::now()),
        up_timer_(h_->stream.get_executor()) {}

  // The first request of the connection (read by the server).
  void start() { begin(); }

 private:
  // One exchange, from the parsed request header in h_->parser.
  void begin() {
    auto& p = *h_->parser;
    // Proxied bodies are streamed, so the server's body limit does not apply.
    p.body_limit(boost::none);
    auto& req = p.get();
    method_.assign(req.method_string().substr(0, 16));
    path_.assign(pathOf(req.target()).substr(0, 2048));
    client_version_ = req.version();
    client_keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    upgrade_ = isUpgradeRequest(req);
    expect_continue_ = core::asciiIEquals(trimOws(req[http::field::expect]), "100-continue");
    accept_.assign(req[http::field::accept]);  // for a later 502/504 page
    // The authentication code takes a string_body request: lend it the header (a move,
    // no copy); onAuthenticated moves it back before the request is touched again.
    view_.base() = std::move(req.base());
    if (canAuthenticateInline(sh_->auth, view_)) {
      onAuthenticated(authenticate());
      return;
    }
    auto work = asio::make_work_guard(client().get_executor());
    asio::post(sh_->workers, [self = shared_from_this(), work = std::move(work)]() mutable {
      RequestAuth a = self->authenticate();
      auto ex = self->client().get_executor();
      asio::post(ex, [self = std::move(self), a = std::move(a), work = std::move(work)]() mutable {
        self->onAuthenticated(std::move(a));
      });
    });
  }

  beast::tcp_stream& client() { return h_->stream; }
  bool draining() const { return h_->draining != nullptr && h_->draining->load(); }

  RequestAuth authenticate() {
    RequestAuth a;
    try {
      a = authenticateRequest(sh_->auth, view_, /*redirectBrowsers=*/true);
    } catch (const std::exception&) {
      spdlog::error("proxy: authentication threw; answering 500");
      a.denial =
          errorPage(view_, http::status::internal_server_error, "internal_error", "Internal error");
    }
    return a;
  }

  http::request<http::buffer_body>& req() { return h_->parser->get(); }

  // --- authentication result -----------------------------------------------------------
  void onAuthenticated(RequestAuth a) {
    req().base() = std::move(view_.base());  // the header lent to authentication
    if (a.kind == RequestAuth::Kind::kDenied) {
      respondLocal(std::move(a.denial));
      return;
    }
    prepareUpstreamRequest(a);
    acquire();
  }

  void prepareUpstreamRequest(const RequestAuth& a) {
    auto& r = req();
    const bool chunked = h_->parser->chunked();
    // Values needed after the fields are rewritten.
    std::string incomingFor;
    auto xff = r.equal_range("X-Forwarded-For");
    for (auto it = xff.first; it != xff.second; ++it) {
      if (!incomingFor.empty()) incomingFor += ", ";
      incomingFor += it->value();
    }
    const std::string incomingProto(r["X-Forwarded-Proto"]);
    const std::string incomingHost(r["X-Forwarded-Host"]);
    const std::string hostHeader(r[http::field::host]);
    const std::string cookie(r[http::field::cookie]);

    stripHopByHop(r, upgrade_);
    stripIdentityHeaders(r);
    r.erase(http::field::expect);  // authgate answers 100-continue itself
    // Authorization reaches the upstream only as the bearer token validated here.
    if (a.kind != RequestAuth::Kind::kBearer) r.erase(http::field::authorization);
    if (!cookie.empty()) {
      // authgate's own cookies (session, login binding) are opaque credentials the
      // upstream never needs.
      auto rest = removeCookie(removeCookie(cookie, sh_->auth.cookies.session),
                               sh_->auth.cookies.transaction);
      if (rest.empty()) {
        r.erase(http::field::cookie);
      } else {
        r.set(http::field::cookie, rest);
      }
    }
    const bool trusted = sh_->trusted.contains(h_->remote);
    auto fwd = forwardedHeaders(h_->remote, trusted,
                                {incomingFor, incomingProto, incomingHost, hostHeader}, "http");
    r.set("X-Forwarded-For", fwd.forwarded_for);
    r.set("X-Forwarded-Proto", fwd.proto);
    if (!fwd.host.empty()) r.set("X-Forwarded-Host", fwd.host);
    if (a.kind == RequestAuth::Kind::kSession) {
      setIdentityHeaders(r, *a.session, sh_->auth.config.upstream);
    } else {
      setTokenIdentityHeaders(r, *a.jwt);
    }
    if (hostHeader.empty()) r.set(http::field::host, sh_->target.authority);
    r.target(upstreamTarget(sh_->target, r.target()));
    r.version(11);
    if (upgrade_) r.set(http::field::connection, "Upgrade");
    if (chunked) r.chunked(true);
    r.body().data = nullptr;
    r.body().size = 0;
    r.body().more = !h_->parser->is_done();
    has_body_ = !h_->parser->is_done();
  }

  // --- upstream connection ------------------------------------------------------------
  // Completion handlers of upstream operations run on this connection's strand,
  // whatever executor a pooled socket was created with.
  template <class F>
  auto onStrand(F&& f) {
    return asio::bind_executor(client().get_executor(), std::forward<F>(f));
  }

  // One deadline for the pending upstream operation: on expiry the socket is
  // cancelled and the operation completes with operation_aborted.
  void armUpstream(std::chrono::milliseconds d) {
    up_timed_out_ = false;
    up_timer_.expires_after(d);
    up_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->up_) return;
      self->up_timed_out_ = true;
      boost::system::error_code ignored;
      self->up_->cancel(ignored);
    });
  }

  void acquire() {
    if (auto idle = sh_->pool.take(client().get_executor())) {
      up_ = std::move(idle);
      reused_ = true;
      sendRequest();
      return;
    }
    connectFresh();
  }

  void connectFresh() {
    reused_ = false;
    up_ = std::make_unique<tcp::socket>(client().get_executor());
    armUpstream(sh_->options.connect_timeout);
    if (sh_->literal) {
      up_->async_connect(*sh_->literal,
                         onStrand([self = shared_from_this()](const boost::system::error_code& ec) {
                           self->onConnected(ec);
                         }));
      return;
    }
    resolver_.emplace(client().get_executor());
    resolver_->async_resolve(
        sh_->target.host, sh_->target.port,
        [self = shared_from_this()](const boost::system::error_code& ec,
                                    const tcp::resolver::results_type& results) {
          if (ec || !self->up_) {
            self->upstreamFailed("upstream_unresolvable");
            return;
          }
          asio::async_connect(
              *self->up_, results,
              self->onStrand([self](const boost::system::error_code& cec, const tcp::endpoint&) {
                self->onConnected(cec);
              }));
        });
  }

  void onConnected(const boost::system::error_code& ec) {
    if (ec) {
      upstreamFailed(up_timed_out_ ? "upstream_connect_timeout" : "upstream_unreachable");
      return;
    }
    boost::system::error_code ignored;
    up_->set_option(tcp::no_delay(true), ignored);
    sendRequest();
  }

  void sendRequest() {
    up_buf_.clear();
    armUpstream(sh_->options.io_timeout);
    if (!has_body_) {
      // A header alone: written as one buffer, without a serializer.
      net::serializeHeader(out_, req());
      asio::async_write(
          *up_, asio::buffer(out_),
          onStrand([self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (ec) {
              self->onUpstreamError(ec);
              return;
            }
            self->readResponseHeader();
          }));
      return;
    }
    req_sr_.emplace(req());
    // The header goes out with the first piece of the body (one write, not two).
    if (expect_continue_) {
      sendContinue();
    } else {
      readClientBody();
    }
  }

  // RFC 9110 s10.1.1: the client waits for 100 before sending the body; authgate has
  // decided to accept it, so it says so itself (the upstream never saw the Expect).
  void sendContinue() {
    static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
    client().expires_after(sh_->options.io_timeout);
    asio::async_write(
        client(), asio::buffer(k100.data(), k100.size()),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (ec) {
            self->abort();
            return;
          }
          self->readClientBody();
        });
  }

  // --- request body: client -> upstream, one 64 KiB piece at a time --------------------
  void readClientBody() {
    auto& body = req().body();
    body.data = buf();
    body.size = kChunk;
    client().expires_after(sh_->options.io_timeout);
    http::async_read(client(), h_->buffer, *h_->parser,
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                       if (ec == http::error::need_buffer) ec = {};
                       if (ec) {
                         // The client went away or stalled mid-body: nothing to answer.
                         self->abort();
                         return;
                       }
                       self->writeRequestPiece();
                     });
  }

  void writeRequestPiece() {
    auto& body = req().body();
    body.size = kChunk - body.size;
    body.data = buf();
    body.more = !h_->parser->is_done();
    body_sent_ = true;
    armUpstream(sh_->options.io_timeout);
    http::async_write(
        *up_, *req_sr_,
        onStrand([self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          if (ec == http::error::need_buffer) ec = {};
          if (ec) {
            self->onUpstreamError(ec);
            return;
          }
          if (self->h_->parser->is_done()) {
            self->readResponseHeader();
          } else {
            self->readClientBody();
          }
        }));
  }

  // --- response header --------------------------------------------------------------------
  void readResponseHeader() {
    res_parser_.emplace();
    res_parser_->header_limit(static_cast<std::uint32_t>(sh_->options.max_header_bytes));
    res_parser_->body_limit(boost::none);
    if (head_) res_parser_->skip(true);  // RFC 9110 s9.3.2: no body follows
    armUpstream(sh_->options.response_timeout);
    http::async_read_header(
        *up_, up_buf_, *res_parser_,
        onStrand([self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          if (ec) {
            self->onUpstreamError(ec);
            return;
          }
          self->onResponseHeader();
        }));
  }

  // Before any response byte reached the client: retry a reused connection that the
  // upstream had closed (only when no body was sent: a streamed body cannot be
  // replayed), else answer 502/504.
  void onUpstreamError(const boost::system::error_code& ec) {
    const bool stale = ec == http::error::end_of_stream || ec == asio::error::eof ||
                       ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
                       ec == http::error::partial_message;
    if (reused_ && !retried_ && !body_sent_ && stale) {
      retried_ = true;
      closeUpstream();
      connectFresh();
      return;
    }
    upstreamFailed(up_timed_out_ ? "upstream_timeout" : "upstream_failed");
  }

  void upstreamFailed(std::string_view reason) {
    closeUpstream();
    spdlog::warn("proxy: {} ({} {})", reason, method_, path_);
    const bool timeout = reason == "upstream_timeout" || reason == "upstream_connect_timeout";
    // errorPage only looks at the version and Accept of the request.
    net::Request view{http::verb::get, "/", client_version_};
    if (!accept_.empty()) view.set(http::field::accept, accept_);
    auto res = errorPage(view, timeout ? http::status::gateway_timeout : http::status::bad_gateway,
                         reason, "The application is not reachable",
                         timeout ? "The application did not answer in time. Please try again."
                                 : "The application behind this sign-in is not answering. Please "
                                   "try again in a moment.");
    respondLocal(std::move(res));
  }

  void onResponseHeader() {
    auto& res = res_parser_->get();
    const unsigned status = res.result_int();
    if (status == 101) {
      if (upgrade_) {
        startTunnel();
      } else {
        upstreamFailed("upstream_unexpected_upgrade");
      }
      return;
    }
    if (status >= 100 && status < 200) {
      readResponseHeader();  // 100/103 interim responses are not relayed
      return;
    }
    status_ = status;
    upstream_keep_alive_ = res.keep_alive();
    const bool chunked = res_parser_->chunked();
    const bool lengthKnown = res_parser_->content_length().has_value();
    const bool bodyless = head_ || status == 204 || status == 304;
    stripHopByHop(res, false);
    // During a drain the connection closes after this response (Connection: close).
    bool closeClient = !client_keep_alive_ || upgrade_ || draining();
    if (!bodyless) {
      if (chunked || (!lengthKnown && client_version_ >= 11)) {
        res.chunked(true);
      } else if (!lengthKnown) {
        closeClient = true;  // HTTP/1.0 client: the end of the body is the close
      }
    }
    keep_client_ = !closeClient;
    res.version(client_version_);
    res.keep_alive(keep_client_);
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = !res_parser_->is_done();
    // Without chunked framing the body bytes go out as they are: the header is
    // serialized once and written with the first piece, no serializer needed.
    raw_ = !res.chunked();
    if (raw_) {
      net::serializeHeader(out_, res);
    } else {
      res_sr_.emplace(res);
    }
    client().expires_after(sh_->options.io_timeout);
    if (res_parser_->is_done()) {
      auto done = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        if (ec) {
          self->abort();
          return;
        }
        self->finish();
      };
      if (raw_) {
        asio::async_write(client(), asio::buffer(out_), std::move(done));
      } else {
        http::async_write(client(), *res_sr_, std::move(done));
      }
      return;
    }
    // The header goes out with the first piece of the body (one write, not two).
    readUpstreamBody();
  }

  // --- response body: upstream -> client ----------------------------------------------
  void readUpstreamBody() {
    auto& body = res_parser_->get().body();
    body.data = buf();
    body.size = kChunk;
    armUpstream(sh_->options.response_timeout);
    http::async_read(
        *up_, up_buf_, *res_parser_,
        onStrand([self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          if (ec == http::error::need_buffer) ec = {};
          if (ec) {
            // Headers are out: the only honest signal left is a cut connection.
            spdlog::warn("proxy: upstream body failed ({} {})", self->method_, self->path_);
            self->abort();
            return;
          }
          self->writeResponsePiece();
        }));
  }

  void writeResponsePiece() {
    auto& body = res_parser_->get().body();
    if (raw_) {
      // out_: the header before the first piece, empty afterwards.
      const std::array<asio::const_buffer, 2> bufs{asio::buffer(out_),
                                                   asio::buffer(buf(), kChunk - body.size)};
      client().expires_after(sh_->options.io_timeout);
      asio::async_write(client(), bufs,
                        [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                          if (ec) {
                            self->abort();
                            return;
                          }
                          self->out_.clear();
                          if (self->res_parser_->is_done()) {
                            self->finish();
                          } else {
                            self->readUpstreamBody();
                          }
                        });
      return;
    }
    body.size = kChunk - body.size;
    body.data = buf();
    body.more = !res_parser_->is_done();
    client().expires_after(sh_->options.io_timeout);
    http::async_write(client(), *res_sr_,
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (ec == http::error::need_buffer) ec = {};
                        if (ec) {
                          self->abort();
                          return;
                        }
                        if (self->res_parser_->is_done()) {
                          self->finish();
                        } else {
                          self->readUpstreamBody();
                        }
                      });
  }

  // --- end of an exchange ---------------------------------------------------------------
  void finish() {
    accessLog(status_);
    // The upstream connection is reusable when it said keep-alive, delivered a framed
    // response completely and has nothing more buffered.
    if (up_ && upstream_keep_alive_ && res_parser_ && res_parser_->is_done() &&
        h_->parser->is_done() && up_buf_.size() == 0) {
      up_timer_.cancel();
      sh_->pool.put(std::move(up_));
    } else {
      closeUpstream();
    }
    if (keep_client_ && h_->parser->is_done() && h_->resume) {
      client().expires_never();
      if (sh_->routes == nullptr || draining()) {
        handBack();  // during a drain the server closes the connection
        return;
      }
      nextRequest();
      return;
    }
    lingerClose();
  }

  // Gives the connection back to the server with whatever is buffered, unconsumed.
  void handBack() {
    stopWatch();
    client().expires_never();
    auto resume = std::move(h_->resume);
    resume(std::move(h_->stream), std::move(h_->buffer));
  }

  // --- the next request on a keep-alive connection ---------------------------------------
  // While the client's requests are for the catch-all, the connection stays here: the
  // next header is parsed from what the client sent and, when it is complete and routed
  // to the proxy, proxied like the first. Anything else (another route, a header split
  // over several reads, a malformed or oversized header) goes back to the server
  // untouched, which answers it exactly as on any keep-alive connection.
  void resetForNext() {
    req_sr_.reset();
    res_sr_.reset();
    res_parser_.reset();
    local_.reset();
    has_body_ = body_sent_ = reused_ = retried_ = false;
    upstream_keep_alive_ = keep_client_ = logged_ = raw_ = false;
    out_.clear();
    up_timed_out_ = false;
    status_ = 0;
  }

  void nextRequest() {
    resetForNext();
    if (h_->buffer.size() > 0) {
      started_ = SteadyClock::now();
      onNextBytes();  // pipelined: already buffered
      return;
    }
    idle_ = true;
    idle_since_ = SteadyClock::now();
    armWatch();
    client().socket().async_read_some(
        h_->buffer.prepare(kReadChunk),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->idle_ = false;
          if (ec) {
            // Closed by the client, or by the watch (idle timeout, drain).
            self->abort();
            return;
          }
          self->h_->buffer.commit(n);
          self->started_ = SteadyClock::now();
          self->onNextBytes();
        });
  }

  void onNextBytes() {
    auto parser = std::make_unique<http::request_parser<http::buffer_body>>();
    parser->header_limit(static_cast<std::uint32_t>(sh_->options.max_header_bytes));
    parser->body_limit(boost::none);
    boost::system::error_code ec;
    const auto n = parser->put(h_->buffer.data(), ec);
    if (ec || !parser->is_header_done()) {
      handBack();
      return;
    }
    const auto& req = parser->get();
    ctx_.params.clear();
    auto m = sh_->routes->match(req.method(), pathOf(req.target()), ctx_);
    if (m.route == nullptr || !m.method_allowed || m.route->id != sh_->route_id ||
        !m.route->stream) {
      handBack();
      return;
    }
    h_->buffer.consume(n);
    h_->parser = std::move(parser);
    h_->params.swap(ctx_.params);
    newRequestId(h_->request_id);
    begin();
  }

  // One timer per kept connection, armed lazily (at most one wake-up a second): closes
  // an idle connection after io_timeout (server.idle_timeout), or within a second of
  // the server starting to drain.
  void armWatch() {
    const auto deadline = std::min(idle_since_ + sh_->options.io_timeout,
                                   SteadyClock::now() + std::chrono::seconds(1));
    if (watch_armed_ && watch_expiry_ <= deadline) return;
    watch_armed_ = true;
    watch_expiry_ = deadline;
    if (!watch_) watch_.emplace(client().get_executor());
    watch_->expires_at(deadline);
    watch_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->watch_armed_ = false;
      self->onWatch();
    });
  }

  void onWatch() {
    if (watch_stopped_) return;
    if (idle_ && (draining() || SteadyClock::now() >= idle_since_ + sh_->options.io_timeout)) {
      boost::system::error_code ignored;
      client().socket().close(ignored);  // the pending read completes with an error
      return;
    }
    armWatch();
  }

  void stopWatch() {
    watch_stopped_ = true;
    if (watch_) watch_->cancel();
  }

  void respondLocal(net::Response res) {
    status_ = res.result_int();
    // An unread request body cannot be skipped reliably: close after answering.
    keep_client_ = client_keep_alive_ && h_->parser->is_done() && !upgrade_ && !draining();
    res.version(client_version_);
    res.set("X-Request-Id", h_->request_id);
    res.keep_alive(keep_client_);
    res.prepare_payload();
    if (head_) res.body().clear();
    local_ = std::make_shared<net::Response>(std::move(res));
    client().expires_after(sh_->options.io_timeout);
    http::async_write(client(), *local_,
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (ec) {
                          self->accessLog(self->status_);
                          self->abort();
                          return;
                        }
                        self->res_parser_.reset();
                        self->finish();
                      });
  }

  // Shut our side, then read and drop what the client still sends for a moment, so
  // the kernel does not reset the connection before the client has read the answer.
  void lingerClose() {
    boost::system::error_code ec;
    client().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      abort();
      return;
    }
    client().expires_after(std::chrono::seconds(1));
    discard();
  }

  void discard() {
    client().async_read_some(
        asio::buffer(buf(), kChunk),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (ec) {
            self->abort();
          } else {
            self->discard();
          }
        });
  }

  void closeUpstream() {
    up_timer_.cancel();
    if (!up_) return;
    boost::system::error_code ec;
    up_->close(ec);
    up_.reset();
  }

  void abort() {
    stopWatch();
    closeUpstream();
    boost::system::error_code ec;
    client().socket().close(ec);
    if (tunnel_timer_) tunnel_timer_->cancel();
  }

  // --- WebSocket (any Upgrade) tunnel after the upstream's 101 ------------------------
  void startTunnel() {
    status_ = 101;
    auto& res = res_parser_->get();
    stripHopByHop(res, /*keepUpgrade=*/true);
    res.set(http::field::connection, "Upgrade");
    res.version(11);
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = false;
    res_sr_.emplace(res);
    client().expires_after(sh_->options.io_timeout);
    http::async_write(client(), *res_sr_,
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (ec == http::error::need_buffer) ec = {};
                        if (ec) {
                          self->abort();
                          return;
                        }
                        self->accessLog(101);
                        self->runTunnel();
                      });
  }

  struct Pipe {
    tcp::socket* from = nullptr;
    tcp::socket* to = nullptr;
    beast::flat_buffer* pending = nullptr;  // bytes already read past the headers
    std::vector<char> buf;
    bool done = false;
  };

  void runTunnel() {
    client().expires_never();
    up_timer_.cancel();
    last_activity_ = SteadyClock::now();
    pipes_[0] =
        Pipe{&client().socket(), up_.get(), &h_->buffer, std::vector<char>(kChunk / 4), false};
    pipes_[1] = Pipe{up_.get(), &client().socket(), &up_buf_, std::vector<char>(kChunk / 4), false};
    tunnel_timer_.emplace(client().get_executor());
    armTunnelTimer();
    for (int i = 0; i < 2; ++i) flushPending(i);
  }

  // Wakes every second: a tunnel closes after tunnel_idle_timeout without traffic, and
  // within a second of the server starting to drain (SIGTERM), so it never holds the
  // shutdown up.
  void armTunnelTimer() {
    tunnel_timer_->expires_at(std::min(last_activity_ + sh_->options.tunnel_idle_timeout,
                                       SteadyClock::now() + std::chrono::seconds(1)));
    tunnel_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->tunnel_closed_) return;
      const bool draining = self->h_->draining != nullptr && self->h_->draining->load();
      if (draining ||
          SteadyClock::now() >= self->last_activity_ + self->sh_->options.tunnel_idle_timeout) {
        self->closeTunnel();
      } else {
        self->armTunnelTimer();
      }
    });
  }

  void flushPending(int i) {
    auto& p = pipes_[i];
    if (p.pending->size() == 0) {
      pump(i);
      return;
    }
    asio::async_write(
        *p.to, p.pending->data(),
        onStrand([self = shared_from_this(), i](const boost::system::error_code& ec, std::size_t) {
          if (ec || self->tunnel_closed_) {
            self->closeTunnel();
            return;
          }
          self->pipes_[i].pending->clear();
          self->pump(i);
        }));
  }

  void pump(int i) {
    auto& p = pipes_[i];
    p.from->async_read_some(
        asio::buffer(p.buf), onStrand([self = shared_from_this(), i](
                                          const boost::system::error_code& ec, std::size_t n) {
          if (self->tunnel_closed_) return;
          auto& pipe = self->pipes_[i];
          if (ec) {
            // EOF on one side: pass the half-close on; close when both are done.
            boost::system::error_code ignored;
            pipe.to->shutdown(tcp::socket::shutdown_send, ignored);
            pipe.done = true;
            if (ec != asio::error::eof || (self->pipes_[0].done && self->pipes_[1].done)) {
              self->closeTunnel();
            }
            return;
          }
          self->last_activity_ = SteadyClock::now();
          asio::async_write(
              *pipe.to, asio::buffer(pipe.buf.data(), n),
              self->onStrand([self, i](const boost::system::error_code& wec, std::size_t) {
                if (wec || self->tunnel_closed_) {
                  self->closeTunnel();
                  return;
                }
                self->pump(i);
              }));
        }));
  }

  void closeTunnel() {
    if (tunnel_closed_) return;
    tunnel_closed_ = true;
    abort();
  }

  // --- access log -------------------------------------------------------------------------
  void accessLog(unsigned status) {
    if (logged_) return;
    logged_ = true;
    sh_->latency.observe(std::chrono::duration<double>(SteadyClock::now() - started_).count());
    sh_->statusCounter(status).inc();
    auto* log = sh_->accessLogger();
    if (log == nullptr || !log->should_log(spdlog::level::info)) return;
    auto& logger = *log;
    net::formatAccessLog(line_, h_->request_id, method_, path_, status,
                         std::chrono::duration<double>(SteadyClock::now() - started_).count(),
                         "proxy");
    logger.info(std::string_view(line_));
  }

  std::shared_ptr<ProxyShared> sh_;
  std::unique_ptr<net::StreamHandoff> h_;
  SteadyClock::time_point started_;
  net::Request view_;        // holds the header while authentication runs
  std::string accept_;       // the request's Accept, for error pages
  net::RequestContext ctx_;  // route matching of the next request
  std::string method_;
  std::string path_;
  std::string line_;  // the access-log line, reused across kept requests
  unsigned client_version_ = 11;
  bool client_keep_alive_ = false;
  bool head_ = false;
  bool upgrade_ = false;
  bool expect_continue_ = false;
  bool has_body_ = false;
  bool body_sent_ = false;
  bool reused_ = false;
  bool retried_ = false;
  bool upstream_keep_alive_ = false;
  bool keep_client_ = false;
  bool logged_ = false;
  unsigned status_ = 0;

  // One body buffer per exchange, allocated (not zeroed) only when a body moves.
  std::unique_ptr<char[]> buf_;
  char* buf() {
    if (!buf_) buf_.reset(new char[kChunk]);
    return buf_.get();
  }
  std::unique_ptr<tcp::socket> up_;
  asio::steady_timer up_timer_;
  bool up_timed_out_ = false;
  std::optional<tcp::resolver> resolver_;
  beast::flat_buffer up_buf_;
  std::optional<http::request_serializer<http::buffer_body>> req_sr_;
  std::optional<http::response_parser<http::buffer_body>> res_parser_;
  std::optional<http::response_serializer<http::buffer_body>> res_sr_;
  std::string out_;   // a serialized header (request or response) being written
  bool raw_ = false;  // the response body is written without a serializer
  std::shared_ptr<net::Response> local_;

  // Kept connection state.
  bool idle_ = false;  // waiting for the next request
  SteadyClock::time_point idle_since_{};
  std::optional<asio::steady_timer> watch_;
  bool watch_armed_ = false;
  bool watch_stopped_ = false;
  SteadyClock::time_point watch_expiry_{};

  // Tunnel state.
  Pipe pipes_[2];
  std::optional<asio::steady_timer> tunnel_timer_;
  SteadyClock::time_point last_activity_{};
  bool tunnel_closed_ = false;
};

}  // namespace

// --- Proxy ----------------------------------------------------------------------------------

Proxy::Proxy(std::shared_ptr<ProxyShared> shared) : shared_(std::move(shared)) {}

Proxy::~Proxy() { stop(); }

std::unique_ptr<Proxy> Proxy::create(const AuthContext& auth, const UpstreamTarget& target,
                                     ProxyOptions options) {
  return std::unique_ptr<Proxy>(new Proxy(std::make_shared<ProxyShared>(auth, target, options)));
}

void Proxy::handle(std::unique_ptr<net::StreamHandoff> handoff) {
  std::make_shared<Exchange>(shared_, std::move(handoff))->start();
}

void Proxy::stop() {
  shared_->workers.join();
  shared_->pool.clear();
}

void addProxyRoute(Router& router, Proxy& proxy) {
  router.addStream({}, "/*",
                   [&proxy](std::unique_ptr<net::StreamHandoff> h) { proxy.handle(std::move(h)); });
  proxy.shared_->routes = &router;
  proxy.shared_->route_id = router.size() - 1;
}

}  // namespace authgate::gateway
