#include "net/server.h"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "authgate/core/random.h"

namespace authgate::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

Response makeResponse(const Request& req, http::status status, std::string body,
                      std::string_view content_type) {
  Response res{status, req.version()};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

namespace {

constexpr std::size_t kReadChunk = 4096;
constexpr std::string_view kUnmatched = "unmatched";
constexpr auto kMaxLinger = std::chrono::milliseconds(1000);

// Request ids identify a request across logs; they are not secrets, so a per-thread
// PRNG seeded from the CSPRNG is enough and keeps the hot path free of locks.
class RequestIdGenerator {
 public:
  RequestIdGenerator() {
    std::array<std::uint8_t, 8> seed{};
    core::OpenSslRandom::instance().fill(seed);
    for (auto b : seed) state_ = (state_ << 8) | b;
  }
  void next(char (&out)[16]) {
    // splitmix64
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
      out[i] = kHex[z & 0xf];
      z >>= 4;
    }
  }

 private:
  std::uint64_t state_ = 0;
};

}  // namespace

namespace {
template <class Writer>
void copyHeader(std::string& out, Writer& w) {
  const auto bufs = w.get();
  out.resize(beast::buffer_bytes(bufs));
  asio::buffer_copy(asio::buffer(out.data(), out.size()), bufs);
}
}  // namespace

void serializeHeader(std::string& out, const http::request_header<>& h) {
  http::fields::writer w(h, h.version(), h.method());
  copyHeader(out, w);
}

void serializeHeader(std::string& out, const http::response_header<>& h) {
  http::fields::writer w(h, h.version(), h.result_int());
  copyHeader(out, w);
}

void newRequestId(char (&out)[16]) {
  thread_local RequestIdGenerator gen;
  gen.next(out);
}

namespace {
void appendJsonEscaped(std::string& out, std::string_view s);
}

void formatAccessLog(std::string& out, std::string_view id, std::string_view method,
                     std::string_view path, unsigned status, double seconds,
                     std::string_view route) {
  out.clear();
  out += R"({"type":"access","id":")";
  appendJsonEscaped(out, id);
  out += R"(","method":")";
  appendJsonEscaped(out, method);
  out += R"(","path":")";
  appendJsonEscaped(out, path);
  out += R"(","status":)";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, status);
  out.append(buf, r.ptr);
  out += R"(,"duration_ms":)";
  r = std::to_chars(buf, buf + sizeof buf, seconds * 1000.0, std::chars_format::fixed, 3);
  out.append(buf, r.ptr);
  if (!route.empty()) {
    out += R"(,"route":")";
    appendJsonEscaped(out, route);
    out += '"';
  }
  out += '}';
}

namespace {

// JSON string body escaping for the access log; bytes outside printable ASCII become
// \u00XX so the line is always valid JSON whatever the client sent.
void appendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
}

// The path part of a request target: everything before '?' (and '#', which clients
// should not send). Query values may carry codes and tokens (RFC 6749 s4.1.2), so the
// access log only ever sees this part.
std::string_view pathOf(std::string_view target) {
  auto q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

std::string_view queryOf(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  auto rest = target.substr(q + 1);
  return rest.substr(0, rest.find('#'));
}

struct Endpoint {
  asio::ip::address address;
  std::uint16_t port = 0;
};

Result<Endpoint> parseListen(std::string_view listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return error_code(boost::system::errc::make_error_code(boost::system::errc::invalid_argument));
  }
  std::string_view host = listen.substr(0, colon);
  std::string_view port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  Endpoint ep;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty() || value > 65535) {
    return error_code(boost::system::errc::make_error_code(boost::system::errc::invalid_argument));
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

// Metric handles of one route, resolved once so the hot path only touches atomics.
struct RouteStats {
  std::string label;
  core::Histogram* latency = nullptr;
  std::array<std::atomic<core::Counter*>, 500> by_status{};  // status 100..599
};

}  // namespace

class Session;

class ServerImpl {
 public:
  ServerImpl(ServerOptions options, const RouteTable& table, core::MetricsRegistry& registry)
      : opt(std::move(options)),
        routes(table),
        metrics(registry),
        log(opt.access_log ? opt.access_log : spdlog::default_logger()),
        threads(opt.threads > 0
                    ? opt.threads
                    : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()))),
        iocs(makeContexts(threads)),
        control(asio::make_strand(*iocs.front())),
        acceptor(control),
        signals(control),
        grace(control) {
    for (auto& c : iocs) keep_running.emplace_back(asio::make_work_guard(*c));
    int workers = opt.blocking_threads > 0 ? opt.blocking_threads : 2 * threads;
    pool = std::make_unique<asio::thread_pool>(static_cast<std::size_t>(workers));
    const auto buckets = core::defaultLatencyBuckets();
    auto addStats = [&](std::string_view label) {
      auto s = std::make_unique<RouteStats>();
      s->label = std::string(label);
      s->latency = &metrics.histogram("authgate_http_request_duration_seconds",
                                      "HTTP request latency by route, seconds",
                                      {{"route", s->label}}, buckets);
      stats.push_back(std::move(s));
    };
    for (std::size_t i = 0; i < routes.size(); ++i) addStats(routes.at(i).pattern);
    addStats(kUnmatched);
    in_flight =
        &metrics.gauge("authgate_http_requests_in_flight", "HTTP requests being handled now");
  }

  ~ServerImpl() { destroying.store(true); }

  RouteStats& statsFor(const Route* r) { return *stats[r ? r->id : stats.size() - 1]; }

  core::Counter& statusCounter(RouteStats& s, unsigned status) {
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

  // One single-threaded io_context per I/O thread (nginx's worker model): a connection
  // lives on one thread from accept to close, so its handlers need no strand and the
  // threads share no scheduler lock. Concurrency hint 1 lets Asio skip locking for
  // work posted from the owning thread.
  static std::vector<std::unique_ptr<asio::io_context>> makeContexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> v;
    for (int i = 0; i < n; ++i) v.push_back(std::make_unique<asio::io_context>(1));
    return v;
  }
  // New connections go to the threads in turn.
  asio::io_context& nextContext() {
    auto i = next_context.fetch_add(1, std::memory_order_relaxed);
    return *iocs[i % iocs.size()];
  }
  // Lets run() return once every connection is gone (drain) or the grace expired.
  void releaseContexts() {
    for (auto& g : keep_running) g.reset();
  }
  void stopContexts() {
    for (auto& c : iocs) c->stop();
  }

  void accept();
  void resume(beast::tcp_stream&& stream, beast::flat_buffer&& buffer,
              const asio::ip::address& remote);
  void onSessionGone(Session* s);
  void drainOnControl();

  ServerOptions opt;
  const RouteTable& routes;
  core::MetricsRegistry& metrics;
  std::shared_ptr<spdlog::logger> log;
  std::vector<std::unique_ptr<RouteStats>> stats;
  core::Gauge* in_flight = nullptr;
  std::atomic<bool> draining{false};
  std::atomic<bool> destroying{false};

  std::mutex sessions_mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

  // Declared after everything sessions touch in their destructors, before the I/O
  // objects and the pool (which must go first): destroyed in reverse order.
  int threads = 1;
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  std::atomic<std::size_t> next_context{0};
  asio::strand<asio::io_context::executor_type> control;  // acceptor, signals, grace
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer grace;
  std::unique_ptr<asio::thread_pool> pool;
};

// One connection. Only does I/O and bookkeeping; routes produce the responses.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerImpl& srv, tcp::socket&& socket)
      : srv_(srv), stream_(std::move(socket)), timer_(stream_.get_executor()) {
    boost::system::error_code ec;
    remote_ = stream_.socket().remote_endpoint(ec).address();
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  // A connection given back by a stream route after a keep-alive exchange.
  Session(ServerImpl& srv, beast::tcp_stream&& stream, beast::flat_buffer&& buffer,
          const asio::ip::address& remote)
      : srv_(srv),
        stream_(std::move(stream)),
        buffer_(std::move(buffer)),
        timer_(stream_.get_executor()),
        served_(1),
        remote_(remote) {
    stream_.expires_never();  // this class keeps its own deadline timer
  }

  ~Session() { srv_.onSessionGone(this); }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->last_activity_ = SteadyClock::now();
      self->readRequest();
    });
  }

  // Drain: a connection waiting for its next request is closed now; one with a request
  // in flight is closed after its response (see respond()).
  void closeIfIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->phase_ == Phase::kIdle) self->closeNow();
    });
  }

 private:
  // The connection's state; the deadline timer's meaning depends on it.
  enum class Phase {
    kIdle,       // waiting for the first byte of a request (idle/read timeout -> close)
    kReading,    // part of a request arrived (read timeout -> 408)
    kHandling,   // a route runs (no timeout here; blocking routes bound their own calls)
    kWriting,    // response being written (idle timeout -> close)
    kLingering,  // sent an error and shut down our side; draining the client's bytes
    kClosed,
  };

  // --- deadline ---------------------------------------------------------------------
  // One timer per connection, armed lazily: moving a deadline later costs nothing (the
  // timer fires early, sees the new deadline and re-arms), so keep-alive requests do not
  // touch the timer queue at all.
  SteadyClock::time_point deadline() const {
    switch (phase_) {
      case Phase::kIdle:
        return last_activity_ + (served_ == 0 ? srv_.opt.read_timeout : srv_.opt.idle_timeout);
      case Phase::kReading:
        return read_deadline_;
      case Phase::kWriting:
        return last_activity_ + srv_.opt.idle_timeout;
      case Phase::kLingering:
        return linger_deadline_;
      case Phase::kHandling:
      case Phase::kClosed:
        break;
    }
    return SteadyClock::time_point::max();
  }

  void arm() {
    auto d = deadline();
    if (d == SteadyClock::time_point::max()) return;
    if (timer_armed_ && timer_expiry_ <= d) return;
    timer_armed_ = true;
    timer_expiry_ = d;
    timer_.expires_at(d);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec != asio::error::operation_aborted) self->onTimer();
    });
  }

  void onTimer() {
    timer_armed_ = false;
    if (phase_ == Phase::kClosed) return;
    if (SteadyClock::now() < deadline()) {
      arm();
      return;
    }
    switch (phase_) {
      case Phase::kReading:
        // Cancel the pending read; its handler answers 408.
        timed_out_ = true;
        stream_.cancel();
        break;
      case Phase::kIdle:
      case Phase::kWriting:
      case Phase::kLingering:
        closeNow();
        break;
      case Phase::kHandling:
      case Phase::kClosed:
        break;
    }
  }

  // --- reading ----------------------------------------------------------------------
  void readRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(srv_.opt.max_header_bytes));
    // The body limit is applied once the route is known (afterParse): a stream route
    // (the reverse proxy) streams bodies of any size.
    parser_->body_limit(boost::none);
    route_ = nullptr;
    matched_ = false;
    timed_out_ = false;
    if (buffer_.size() == 0) {
      phase_ = Phase::kIdle;
      arm();
      stream_.socket().async_read_some(
          buffer_.prepare(kReadChunk),
          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            self->onIdleRead(ec, n);
          });
      return;
    }
    // A pipelined request is already buffered.
    request_started_ = SteadyClock::now();
    parseBuffered();
  }

  void onIdleRead(const boost::system::error_code& ec, std::size_t n) {
    if (ec) {
      closeNow();  // client closed, reset, or drain closed the idle connection
      return;
    }
    buffer_.commit(n);
    last_activity_ = request_started_ = SteadyClock::now();
    parseBuffered();
  }

  // Parses what is buffered without I/O; most requests arrive in one segment and are
  // complete here. Otherwise falls back to Beast's async read with the read deadline.
  void parseBuffered() {
    boost::system::error_code ec;
    while (!parser_->is_done() && buffer_.size() > 0) {
      if (parser_->is_header_done() && !matched_) break;
      auto n = parser_->put(buffer_.data(), ec);
      buffer_.consume(n);
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec) {
        onReadError(ec);
        return;
      }
      if (n == 0) break;
    }
    afterParse();
  }

  void afterParse() {
    if (parser_->is_header_done() && !matched_) {
      matched_ = true;
      const auto& req = parser_->get();
      splitTarget(req.target());
      ctx_.params.clear();
      auto m = srv_.routes.match(req.method(), ctx_.path, ctx_);
      route_ = m.route;
      method_allowed_ = m.method_allowed;
      if (route_ != nullptr && method_allowed_ && route_->stream) {
        handOff();
        return;
      }
      if (auto length = parser_->content_length(); length && *length > srv_.opt.max_body_bytes) {
        onReadError(http::error::body_limit);
        return;
      }
      parser_->body_limit(srv_.opt.max_body_bytes);
      if (!parser_->is_done()) {
        parseBuffered();
        return;
      }
    }
    if (parser_->is_done()) {
      onRequest();
      return;
    }
    if (phase_ != Phase::kReading) {
      phase_ = Phase::kReading;
      read_deadline_ = request_started_ + srv_.opt.read_timeout;
      arm();
    }
    auto onRead = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
      if (ec) {
        self->onReadError(ec);
      } else {
        self->afterParse();
      }
    };
    if (!parser_->is_header_done()) {
      http::async_read_header(stream_, buffer_, *parser_, std::move(onRead));
    } else {
      http::async_read(stream_, buffer_, *parser_, std::move(onRead));
    }
  }

  void splitTarget(std::string_view target) {
    ctx_.path = pathOf(target);
    ctx_.query = queryOf(target);
    log_path_.assign(ctx_.path);
  }

  void onReadError(const boost::system::error_code& ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec == asio::error::operation_aborted && timed_out_) {
      fail(http::status::request_timeout, "request timeout: the request did not arrive in time\n");
    } else if (ec == http::error::header_limit) {
      fail(http::status::request_header_fields_too_large,
           "request header fields too large: the header block exceeds " +
               std::to_string(srv_.opt.max_header_bytes) + " bytes\n");
    } else if (ec == http::error::body_limit) {
      fail(http::status::payload_too_large, "payload too large: the body exceeds " +
                                                std::to_string(srv_.opt.max_body_bytes) +
                                                " bytes\n");
    } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      fail(http::status::bad_request, "bad request: malformed HTTP message\n");
    } else {
      closeNow();  // the client went away
    }
  }

  // Answers a request that could not be read and closes the connection: its remaining
  // bytes cannot be trusted to frame the next request.
  void fail(http::status status, std::string body) {
    // The start line may be parsed even when the header block is not (e.g. 413 on the
    // Content-Length field): log what is known.
    const bool have_header = parser_ && parser_->is_header_done();
    std::string_view method;
    std::string_view target;
    if (parser_) {
      method = parser_->get().method_string();
      target = parser_->get().target();
    }
    method_copy_.assign(method.substr(0, 16));
    log_path_.assign(pathOf(target).substr(0, 2048));
    newRequestId(id_);
    srv_.in_flight->inc();
    route_ = nullptr;  // limits are counted as "unmatched": the route is not trusted yet
    version_ = have_header ? parser_->get().version() : 11;
    keep_alive_ = false;
    head_ = false;
    Response res{status, version_};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = std::move(body);
    respond(std::move(res));
  }

  // --- handling ---------------------------------------------------------------------
  void onRequest() {
    phase_ = Phase::kHandling;
    srv_.in_flight->inc();
    newRequestId(id_);
    ctx_.request_id = std::string_view(id_, sizeof id_);
    ctx_.remote = remote_;
    const auto& req = parser_->get();
    method_copy_.assign(req.method_string());
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;

    if (route_ == nullptr) {
      respond(makeResponse(req, http::status::not_found, "not found\n"));
      return;
    }
    if (!method_allowed_) {
      auto res = makeResponse(req, http::status::method_not_allowed, "method not allowed\n");
      respond(std::move(res));
      return;
    }
    if (!route_->blocking || (route_->inline_when && route_->inline_when(req))) {
      respond(invoke(*route_, req, ctx_));
      return;
    }
    // Blocking route: run it on the worker pool so the I/O threads keep serving. The
    // work guard keeps run() alive until the response is back on this strand.
    auto msg = std::make_shared<Request>(parser_->release());
    auto work = asio::make_work_guard(stream_.get_executor());
    asio::post(*srv_.pool, [self = shared_from_this(), msg, route = route_, ctx = ctx_,
                            work = std::move(work)]() mutable {
      // Re-point the views at the moved message.
      ctx.path = pathOf(msg->target());
      ctx.query = queryOf(msg->target());
      Response res = self->invoke(*route, *msg, ctx);
      auto ex = self->stream_.get_executor();
      asio::post(ex, [self = std::move(self), res = std::move(res),
                      work = std::move(work)]() mutable { self->respond(std::move(res)); });
    });
  }

  Response invoke(const Route& route, const Request& req, RequestContext& ctx) {
    try {
      return route.handler(req, ctx);
    } catch (const std::exception&) {
      // The exception text may quote request data; log only the route.
      spdlog::error("route {} threw; answering 500", route.pattern);
    } catch (...) {
      spdlog::error("route {} threw; answering 500", route.pattern);
    }
    return makeResponse(req, http::status::internal_server_error, "internal server error\n");
  }

  void handOff() {
    // The stream route owns the connection from here; this session stops tracking it.
    phase_ = Phase::kClosed;
    timer_.cancel();
    auto h = std::make_unique<StreamHandoff>(StreamHandoff{std::move(stream_),
                                                           std::move(buffer_),
                                                           nullptr,
                                                           {},
                                                           remote_,
                                                           std::move(ctx_.params),
                                                           {},
                                                           &srv_.draining});
    try {
      h->parser = std::make_unique<http::request_parser<http::buffer_body>>(std::move(*parser_));
    } catch (const std::exception&) {
      spdlog::error("route {}: could not hand over the connection", route_->pattern);
      return;
    }
    char id[16];
    newRequestId(id);
    h->request_id.assign(id, sizeof id);
    h->resume = [srv = &srv_, remote = remote_](beast::tcp_stream&& stream,
                                                beast::flat_buffer&& buffer) {
      srv->resume(std::move(stream), std::move(buffer), remote);
    };
    route_->stream(std::move(h));
  }

  // --- writing ----------------------------------------------------------------------
  void respond(Response res) {
    res_ = std::move(res);
    res_.version(version_);
    res_.set("X-Request-Id", std::string_view(id_, sizeof id_));
    // During a drain every response closes its connection (Connection: close).
    res_.keep_alive(keep_alive_ && !srv_.draining.load(std::memory_order_relaxed));
    res_.prepare_payload();
    if (head_) res_.body().clear();  // keep the Content-Length of the GET (RFC 9110 s9.3.2)
    phase_ = Phase::kWriting;
    arm();
    // Header and body in one buffer: one send per response.
    serializeHeader(out_, res_);
    out_ += res_.body();
    asio::async_write(stream_.socket(), asio::buffer(out_),
                      [self = shared_from_this()](const boost::system::error_code& ec,
                                                  std::size_t) { self->onWrite(ec); });
  }

  void onWrite(const boost::system::error_code& ec) {
    last_activity_ = SteadyClock::now();
    const auto status = static_cast<unsigned>(res_.result_int());
    const double seconds = std::chrono::duration<double>(last_activity_ - request_started_).count();
    auto& stats = srv_.statsFor(route_);
    stats.latency->observe(seconds);
    srv_.statusCounter(stats, status).inc();
    srv_.in_flight->dec();
    accessLog(status, seconds);
    if (ec) {
      closeNow();
      return;
    }
    if (!res_.keep_alive()) {
      lingeringClose();
      return;
    }
    ++served_;
    res_ = {};
    readRequest();
  }

  void accessLog(unsigned status, double seconds) {
    auto& logger = *srv_.log;
    if (!logger.should_log(spdlog::level::info)) return;
    formatAccessLog(line_, std::string_view(id_, sizeof id_), method_copy_, log_path_, status,
                    seconds);
    logger.info(std::string_view(line_));
  }

  // After an error response: shut down our side, then read and discard what the client
  // is still sending for a moment, so the kernel does not reset the connection and
  // destroy the response before the client reads it.
  void lingeringClose() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      closeNow();
      return;
    }
    phase_ = Phase::kLingering;
    linger_deadline_ =
        SteadyClock::now() + std::min<SteadyClock::duration>(kMaxLinger, srv_.opt.read_timeout);
    arm();
    discard();
  }

  void discard() {
    buffer_.clear();
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (ec || self->phase_ == Phase::kClosed) {
            self->closeNow();
          } else {
            self->discard();
          }
        });
  }

  void closeNow() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    boost::system::error_code ec;
    stream_.socket().close(ec);
    timer_.cancel();
  }

  ServerImpl& srv_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  SteadyClock::time_point timer_expiry_{};
  SteadyClock::time_point last_activity_{};
  SteadyClock::time_point read_deadline_{};
  SteadyClock::time_point linger_deadline_{};
  SteadyClock::time_point request_started_{};
  Phase phase_ = Phase::kIdle;
  bool timed_out_ = false;
  std::uint64_t served_ = 0;
  boost::asio::ip::address remote_;

  // The current request.
  RequestContext ctx_;
  const Route* route_ = nullptr;
  bool matched_ = false;
  bool method_allowed_ = false;
  bool keep_alive_ = true;
  bool head_ = false;
  unsigned version_ = 11;
  char id_[16] = {};
  std::string method_copy_;  // reused buffers: no allocation per keep-alive request
  std::string log_path_;
  std::string line_;
  std::string out_;  // the serialized response being written
  Response res_;
};

void ServerImpl::onSessionGone(Session* s) {
  std::size_t remaining = 0;
  {
    std::lock_guard lock(sessions_mu);
    sessions.erase(s);
    remaining = sessions.size();
  }
  // The last connection of a drain: nothing left to wait for.
  if (remaining == 0 && draining.load() && !destroying.load()) {
    asio::post(control, [this] {
      grace.cancel();
      releaseContexts();
    });
  }
}

void ServerImpl::resume(beast::tcp_stream&& stream, beast::flat_buffer&& buffer,
                        const asio::ip::address& remote) {
  if (draining.load()) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.socket().close(ec);
    return;
  }
  auto session = std::make_shared<Session>(*this, std::move(stream), std::move(buffer), remote);
  {
    std::lock_guard lock(sessions_mu);
    sessions.emplace(session.get(), session);
  }
  session->start();
}

void ServerImpl::accept() {
  acceptor.async_accept(nextContext(),
                        [this](const boost::system::error_code& ec, tcp::socket socket) {
                          if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
                          if (ec) {
                            // E.g. EMFILE: keep serving the connections we have.
                            spdlog::warn("accept failed: {}", ec.message());
                          } else if (!draining.load()) {
                            auto session = std::make_shared<Session>(*this, std::move(socket));
                            {
                              std::lock_guard lock(sessions_mu);
                              sessions.emplace(session.get(), session);
                            }
                            session->start();
                          }
                          accept();
                        });
}

void ServerImpl::drainOnControl() {
  boost::system::error_code ec;
  acceptor.close(ec);  // from here connects are refused
  signals.cancel(ec);
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mu);
    for (auto& [ptr, weak] : sessions) {
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
      std::lock_guard lock(sessions_mu);
      left = sessions.size();
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

Result<void> Server::start() {
  auto ep = parseListen(impl_->opt.listen);
  if (!ep) return ep.error();
  tcp::endpoint endpoint(ep->address, ep->port);
  auto& a = impl_->acceptor;
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
  }
  impl_->accept();
  return {};
}

std::uint16_t Server::port() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::string Server::boundAddress() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  if (ec) return {};
  auto host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

int Server::run() {
  auto& impl = *impl_;
  std::vector<std::thread> extra;
  extra.reserve(static_cast<std::size_t>(impl.threads - 1));
  for (int i = 1; i < impl.threads; ++i) {
    extra.emplace_back([&impl, i] { impl.iocs[static_cast<std::size_t>(i)]->run(); });
  }
  impl.iocs.front()->run();
  for (auto& t : extra) t.join();
  impl.pool->join();
  return 0;
}

void Server::drain() {
  if (impl_->draining.exchange(true)) return;
  asio::post(impl_->control, [impl = impl_.get()] { impl->drainOnControl(); });
}

}  // namespace authgate::net
