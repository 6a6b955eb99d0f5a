#include "net/connection.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "net/access_log.h"
#include "net/forwarded.h"
#include "net/forwarder.h"
#include "net/framing.h"
#include "net/server_impl.h"

namespace authgate::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kReadChunk = 4096;
constexpr auto kMaxLinger = std::chrono::milliseconds(1000);

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

// Every X-Forwarded-For line, joined (only read when the peer is a trusted proxy).
std::string forwardedForChain(const http::fields& h) {
  std::string chain;
  auto range = h.equal_range("X-Forwarded-For");
  for (auto it = range.first; it != range.second; ++it) {
    if (!chain.empty()) chain += ',';
    chain += it->value();
  }
  return chain;
}

}  // namespace

Connection::Connection(ServerImpl& srv, IoThread& thread, tcp::socket&& socket,
                       std::shared_ptr<asio::ssl::context> tls, ListenerKind listener)
    : srv_(srv),
      thread_(thread),
      stream_(tls ? ClientStream(std::move(socket), std::move(tls))
                  : ClientStream(std::move(socket))),
      timer_(stream_.get_executor()) {
  boost::system::error_code ec;
  remote_ = stream_.socket().remote_endpoint(ec).address();
  remote_plain_ = clientAddress(remote_, {}, {});
  ctx_.remote = remote_;
  ctx_.remote_text = forwardedAddress(remote_);
  stream_.socket().set_option(tcp::no_delay(true), ec);
  listener_ = listener;
}

Connection::~Connection() {
  if (counted_) srv_.in_flight->dec();
  srv_.onConnectionGone(this, remote_, listener_);
}

void Connection::start() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->last_activity_ = Clock::now();
    if (!self->stream_.tls()) {
      self->readRequest();
      return;
    }
    // TLS: the handshake first, within read_timeout (the kIdle deadline).
    self->phase_ = Phase::kIdle;
    self->arm();
    self->stream_.asyncHandshake([self](const boost::system::error_code& ec) {
      if (ec) {
        self->closeNow();  // not TLS, a bad hello, or timed out: nothing to answer
        return;
      }
      self->last_activity_ = Clock::now();
      self->readRequest();
    });
  });
}

void Connection::closeIfIdle() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == Phase::kIdle) {
      self->closeNow();
    } else if (self->phase_ == Phase::kForwarding && self->forwarder_) {
      self->forwarder_->onDrain();
    }
  });
}

bool Connection::draining() const { return srv_.draining.load(std::memory_order_relaxed); }

// --- deadline ---------------------------------------------------------------------
// One timer per connection, armed lazily: moving a deadline later costs nothing (the
// timer fires early, sees the new deadline and re-arms), so keep-alive requests and
// streamed body pieces do not touch the timer queue at all.
Connection::Clock::time_point Connection::deadline() const {
  switch (phase_) {
    case Phase::kIdle:
      return last_activity_ + (served_ == 0 ? srv_.opt.read_timeout : srv_.opt.idle_timeout);
    case Phase::kReading:
      return read_deadline_;
    case Phase::kWriting:
      return last_activity_ + srv_.opt.idle_timeout;
    case Phase::kForwarding:
      return forwarder_ ? forwarder_->deadline() : Clock::time_point::max();
    case Phase::kLingering:
      return linger_deadline_;
    case Phase::kHandling:
    case Phase::kClosed:
      break;
  }
  return Clock::time_point::max();
}

void Connection::arm() {
  auto d = deadline();
  if (d == Clock::time_point::max()) return;
  if (timer_armed_ && timer_expiry_ <= d) return;
  timer_armed_ = true;
  timer_expiry_ = d;
  timer_.expires_at(d);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec != asio::error::operation_aborted) self->onTimer();
  });
}

void Connection::onTimer() {
  timer_armed_ = false;
  if (phase_ == Phase::kClosed) return;
  if (Clock::now() < deadline()) {
    arm();
    return;
  }
  switch (phase_) {
    case Phase::kReading:
      // Cancel the pending read; its handler answers 408.
      timed_out_ = true;
      stream_.socket().cancel();
      break;
    case Phase::kForwarding:
      if (forwarder_) forwarder_->onTimeout();
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
void Connection::readRequest() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(srv_.opt.max_header_bytes));
  // The body limit is applied once the route is known (afterHeader): forwarded bodies
  // stream and have none.
  parser_->body_limit(boost::none);
  route_ = nullptr;  // route_owner_ stays: the table's next match() keeps or replaces it
  matched_ = false;
  timed_out_ = false;
  if (buffer_.size() == 0) {
    phase_ = Phase::kIdle;
    arm();
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (ec) {
            self->closeNow();  // client closed, reset, or drain closed the idle connection
            return;
          }
          self->buffer_.commit(n);
          self->last_activity_ = self->request_started_ = Clock::now();
          self->parseBuffered();
        });
    return;
  }
  // A pipelined request is already buffered.
  request_started_ = Clock::now();
  parseBuffered();
}

void Connection::readMore() {
  if (phase_ != Phase::kReading) {
    phase_ = Phase::kReading;
    read_deadline_ = request_started_ + srv_.opt.read_timeout;
    arm();
  }
  stream_.async_read_some(
      buffer_.prepare(kReadChunk),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (ec) {
          self->onReadError(ec);
          return;
        }
        self->buffer_.commit(n);
        self->parseBuffered();
      });
}

// Parses what is buffered without I/O; most requests arrive in one segment and are
// complete here. The header is parsed whole, so the raw header bytes are at hand for
// the framing checks.
void Connection::parseBuffered() {
  boost::system::error_code ec;
  if (!parser_->is_header_done()) {
    // Beast is given the header only once its end is buffered: fed a partial header it
    // consumes the start line (and maybe some fields) and the raw block is lost.
    const std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (data.find("\r\n\r\n") == std::string_view::npos) {
      if (data.size() > srv_.opt.max_header_bytes) {
        onReadError(http::error::header_limit);
      } else {
        readMore();
      }
      return;
    }
    const auto n = parser_->put(buffer_.data(), ec);
    if (ec) {
      onReadError(ec);
      return;
    }
    const std::string_view raw(static_cast<const char*>(buffer_.data().data()), n);
    const auto framing = checkRequestFraming(parser_->get().base(), raw);
    buffer_.consume(n);
    if (framing != FramingError::kNone) {
      fail(http::status::bad_request, "bad request: " + std::string(framingErrorName(framing)) +
                                          " (RFC 9112 message framing)\n");
      return;
    }
    afterHeader();
    return;
  }
  afterParse();
}

void Connection::afterHeader() {
  matched_ = true;
  const auto& req = parser_->get();
  ctx_.path = pathOf(req.target());
  ctx_.query = queryOf(req.target());
  log_path_.assign(ctx_.path);
  ctx_.params.clear();
  ctx_.listener = listener_;
  const auto& trusted = srv_.opt.forward.policy.trusted;
  if (trusted.empty() || !trusted.contains(remote_)) {
    ctx_.client = remote_plain_;
    ctx_.client_text = ctx_.remote_text;
  } else {
    ctx_.client = clientAddress(remote_, trusted, forwardedForChain(req));
    ctx_.client_text =
        ctx_.client == remote_plain_ ? ctx_.remote_text : forwardedAddress(ctx_.client);
  }
  auto m = srv_.routes.match(req.method(), ctx_.path, ctx_, route_owner_);
  route_ = m.route;
  method_allowed_ = m.method_allowed;
  if (route_ != nullptr && method_allowed_ && route_->forward) {
    decide();  // on the head alone: the body streams once the decision allows it
    return;
  }
  if (auto length = parser_->content_length(); length && *length > srv_.opt.max_body_bytes) {
    onReadError(http::error::body_limit);
    return;
  }
  parser_->body_limit(srv_.opt.max_body_bytes);
  afterParse();
}

void Connection::afterParse() {
  boost::system::error_code ec;
  while (!parser_->is_done() && buffer_.size() > 0) {
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
  if (parser_->is_done()) {
    onRequest();
    return;
  }
  readMore();
}

void Connection::onReadError(const boost::system::error_code& ec) {
  if (phase_ == Phase::kClosed) return;
  if (ec == asio::error::operation_aborted && timed_out_) {
    fail(http::status::request_timeout, "request timeout: the request did not arrive in time\n");
  } else if (ec == http::error::header_limit) {
    fail(http::status::request_header_fields_too_large,
         "request header fields too large: the header block exceeds " +
             std::to_string(srv_.opt.max_header_bytes) + " bytes\n");
  } else if (ec == http::error::body_limit) {
    fail(http::status::payload_too_large, "payload too large: the body exceeds " +
                                              std::to_string(srv_.opt.max_body_bytes) + " bytes\n");
  } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    fail(http::status::bad_request, "bad request: malformed HTTP message\n");
  } else {
    closeNow();  // the client went away
  }
}

// Answers a request that could not be read and closes the connection: its remaining
// bytes cannot be trusted to frame the next request.
void Connection::fail(http::status status, std::string body) {
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
  counted_ = true;
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
namespace {

template <class Answer>
Answer internalError(const Request& req);

template <>
Response internalError<Response>(const Request& req) {
  return makeResponse(req, http::status::internal_server_error, "internal server error\n");
}

template <>
ForwardDecision internalError<ForwardDecision>(const Request& req) {
  ForwardDecision d;
  d.response = internalError<Response>(req);
  return d;
}

}  // namespace

// The execution model (net/http.h): run the route here; if it deferred itself, run it
// again on the worker pool and come back with its answer. This is the one place that
// decides where a request runs.
template <class Answer, class Run>
void Connection::runHandler(Run run, void (Connection::*done)(Answer)) {
  auto invoke = [this, run = std::move(run)]() -> Answer {
    const auto& req = parser_->get();
    try {
      return run(req, ctx_);
    } catch (const std::exception&) {
      // The exception text may quote request data; log only the route.
      spdlog::error("route {} threw; answering 500", route_->pattern);
    } catch (...) {
      spdlog::error("route {} threw; answering 500", route_->pattern);
    }
    ctx_.deferred = false;
    return internalError<Answer>(req);
  };
  ctx_.may_block = false;
  ctx_.deferred = false;
  Answer answer = invoke();
  if (!ctx_.deferred) {
    (this->*done)(std::move(answer));
    return;
  }
  // The work guard keeps run() alive until the answer is back on this connection's
  // thread. The connection does nothing else meanwhile (kHandling), so the pool thread
  // may read the request and the context.
  ctx_.deferred = false;
  ctx_.may_block = true;
  auto work = asio::make_work_guard(stream_.get_executor());
  asio::post(*srv_.pool, [self = shared_from_this(), invoke = std::move(invoke), done,
                          work = std::move(work)]() mutable {
    Answer late = invoke();
    if (self->ctx_.deferred) {
      spdlog::error("route {} deferred itself on the worker pool; answering 500",
                    self->route_->pattern);
      late = internalError<Answer>(self->parser_->get());
    }
    auto ex = self->stream_.get_executor();
    asio::post(ex, [self = std::move(self), late = std::move(late), done,
                    work = std::move(work)]() mutable { ((*self).*done)(std::move(late)); });
  });
}

// A request (its head, for a forward route) is in: it gets its id and is in flight.
void Connection::beginExchange() {
  phase_ = Phase::kHandling;
  srv_.in_flight->inc();
  counted_ = true;
  newRequestId(id_);
  ctx_.request_id = std::string_view(id_, sizeof id_);
  const auto& req = parser_->get();
  method_copy_.assign(req.method_string());
  version_ = req.version();
  keep_alive_ = req.keep_alive();
  head_ = req.method() == http::verb::head;
}

void Connection::onRequest() {
  beginExchange();
  const auto& req = parser_->get();
  if (route_ == nullptr) {
    respond(makeResponse(req, http::status::not_found, "not found\n"));
    return;
  }
  if (!method_allowed_) {
    respond(makeResponse(req, http::status::method_not_allowed, "method not allowed\n"));
    return;
  }
  runHandler<Response>(
      [route = route_](const Request& r, RequestContext& c) { return route->handler(r, c); },
      &Connection::respond);
}

void Connection::decide() {
  beginExchange();
  runHandler<ForwardDecision>(
      [route = route_](const Request& r, RequestContext& c) { return route->forward(r, c); },
      &Connection::onDecision);
}

void Connection::onDecision(ForwardDecision d) {
  if (d.upstream == nullptr) {
    // Answered here. An unread request body cannot be skipped reliably: close after.
    keep_alive_ = keep_alive_ && parser_->is_done();
    respond(std::move(d.response));
    return;
  }
  phase_ = Phase::kForwarding;
  forwarder_ = std::make_shared<Forwarder>(shared_from_this(), std::move(*parser_), std::move(d));
  parser_.reset();
  forwarder_->start();
}

// --- writing ----------------------------------------------------------------------
void Connection::respond(Response res) {
  res_ = std::move(res);
  res_.version(version_);
  res_.set("X-Request-Id", std::string_view(id_, sizeof id_));
  // During a drain every response closes its connection (Connection: close).
  res_.keep_alive(keep_alive_ && !draining());
  res_.prepare_payload();
  if (head_) res_.body().clear();  // keep the Content-Length of the GET (RFC 9110 s9.3.2)
  phase_ = Phase::kWriting;
  arm();
  // Header and body in one buffer: one send per response.
  serializeHeader(out_, res_);
  out_ += res_.body();
  asio::async_write(stream_, asio::buffer(out_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->onWrite(ec);
                    });
}

void Connection::onWrite(const boost::system::error_code& ec) {
  last_activity_ = Clock::now();
  logExchange(static_cast<unsigned>(res_.result_int()));
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

void Connection::forwardDone(unsigned status, After after) {
  forwarder_.reset();  // its last handler still holds it
  last_activity_ = Clock::now();
  logExchange(status);
  switch (after) {
    case After::kKeepAlive:
      ++served_;
      readRequest();
      return;
    case After::kLinger:
      lingeringClose();
      return;
    case After::kClose:
      closeNow();
      return;
  }
}

// Metrics and one access-log line per exchange, whoever answered it.
void Connection::logExchange(unsigned status) {
  const double seconds = std::chrono::duration<double>(Clock::now() - request_started_).count();
  auto& stats = srv_.statsFor(route_);
  stats.latency->observe(seconds);
  srv_.statusCounter(stats, status).inc();
  if (counted_) {
    srv_.in_flight->dec();
    counted_ = false;
  }
  auto& logger = *srv_.log;
  if (!logger.should_log(spdlog::level::info)) return;
  formatAccessLog(line_, std::string_view(id_, sizeof id_), method_copy_, log_path_, status,
                  seconds, route_ != nullptr && route_->forward ? "proxy" : "");
  logger.info(std::string_view(line_));
}

// After an error response: shut down our side, then read and discard what the client
// is still sending for a moment, so the kernel does not reset the connection and
// destroy the response before the client reads it.
void Connection::lingeringClose() {
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    closeNow();
    return;
  }
  phase_ = Phase::kLingering;
  linger_deadline_ = Clock::now() + std::min<Clock::duration>(kMaxLinger, srv_.opt.read_timeout);
  arm();
  discard();
}

void Connection::discard() {
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

void Connection::closeNow() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  boost::system::error_code ec;
  stream_.socket().close(ec);
  timer_.cancel();
  if (forwarder_) {
    auto f = std::move(forwarder_);
    f->close();
  }
}

}  // namespace authgate::net
