#include "net/forwarder.h"

#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/empty_body.hpp>

#include "authgate/core/codec.h"
#include "net/connection.h"
#include "net/server_impl.h"
#include "net/trust_boundary.h"
#include "net/upstream.h"

namespace authgate::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kTunnelChunk = 16 * 1024;

// "HTTP/1.1 100 Continue", as Beast writes it.
const std::string& continueHead() {
  static const std::string head = [] {
    http::response<http::empty_body> res{http::status::continue_, 11};
    std::string out;
    serializeHeader(out, res.base());
    return out;
  }();
  return head;
}

bool isStale(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == http::error::end_of_stream ||
         ec == http::error::partial_message;
}

}  // namespace

Forwarder::Forwarder(std::shared_ptr<Connection> conn,
                     http::request_parser<http::string_body>&& request, ForwardDecision decision)
    : conn_(std::move(conn)),
      req_(std::move(request)),
      decision_(std::move(decision)),
      up_buf_(conn_->forwardBuffers().upstream),
      out_(conn_->forwardBuffers().out) {}

Forwarder::~Forwarder() = default;

ClientStream& Forwarder::client() { return conn_->stream(); }

char* Forwarder::buf() {
  auto& b = conn_->forwardBuffers().body;
  if (!b) b.reset(new char[kChunk]);
  return b.get();
}

void Forwarder::setDeadline(Step step, std::chrono::milliseconds d) {
  step_ = step;
  deadline_ = Clock::now() + d;
  conn_->arm();
}

void Forwarder::start() {
  auto& r = req_.get();
  client_version_ = r.version();
  client_keep_alive_ = r.keep_alive();
  head_ = r.method() == http::verb::head;
  upgrade_ = isUpgradeRequest(r);
  expect_continue_ = core::asciiIEquals(core::trimOws(r[http::field::expect]), "100-continue");
  chunked_in_ = req_.chunked();
  has_body_ = !req_.is_done();
  accept_.assign(r[http::field::accept]);
  fetch_mode_.assign(r["Sec-Fetch-Mode"]);
  requested_with_.assign(r["X-Requested-With"]);
  req_.body_limit(boost::none);  // forwarded bodies stream

  const auto& ctx = conn_->context();
  prepareUpstreamRequest(r.base(), conn_->server().opt.forward.policy, decision_,
                         *decision_.upstream, ctx, upgrade_, chunked_in_);
  r.set("X-Request-Id", conn_->requestId());
  // The upstream head is final from here: whatever the body brings (trailers) cannot
  // change what the upstream is told.
  serializeHeader(head_out_, r.base());
  acquire();
}

// --- upstream connection ------------------------------------------------------------
void Forwarder::acquire() {
  if (auto idle = conn_->thread().pool.take(*decision_.upstream)) {
    up_.emplace(std::move(*idle));
    reused_ = true;
    sendHead();
    return;
  }
  connectFresh();
}

void Forwarder::connectFresh() {
  reused_ = false;
  closeUpstream();
  up_.emplace(client().get_executor());
  setDeadline(Step::kConnecting, conn_->server().opt.forward.connect_timeout);
  const auto& up = *decision_.upstream;
  if (up.literal()) {
    up_->async_connect(*up.literal(),
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                         self->onConnected(ec);
                       });
    return;
  }
  resolver_.emplace(client().get_executor());
  resolver_->async_resolve(up.host(), up.port(),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       const tcp::resolver::results_type& results) {
                             if (self->closed_) return;
                             if (ec || !self->up_) {
                               self->upstreamFailed(self->timed_out_ ? "upstream_connect_timeout"
                                                                     : "upstream_unresolvable");
                               return;
                             }
                             asio::async_connect(
                                 *self->up_, results,
                                 [self](const boost::system::error_code& cec,
                                        const tcp::endpoint&) { self->onConnected(cec); });
                           });
}

void Forwarder::onConnected(const boost::system::error_code& ec) {
  if (closed_) return;
  if (ec) {
    upstreamFailed(timed_out_ ? "upstream_connect_timeout" : "upstream_unreachable");
    return;
  }
  boost::system::error_code ignored;
  up_->set_option(tcp::no_delay(true), ignored);
  sendHead();
}

// The head alone, before the body: the upstream may answer (or refuse) early, and the
// head never waits for body bytes that could change it.
void Forwarder::sendHead() {
  up_buf_.clear();
  setDeadline(Step::kSendingHead, conn_->server().opt.idle_timeout);
  asio::async_write(*up_, asio::buffer(head_out_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (self->closed_) return;
                      if (ec) {
                        self->onUpstreamError(ec);
                      } else if (!self->has_body_) {
                        self->readResponseHead();
                      } else if (self->expect_continue_) {
                        self->sendContinue();
                      } else {
                        self->pumpRequestBody();
                      }
                    });
}

// RFC 9110 s10.1.1: the client waits for 100 before sending the body; authgate has
// accepted the request, so it says so itself (the upstream never saw the Expect).
void Forwarder::sendContinue() {
  expect_continue_ = false;
  setDeadline(Step::kContinue, conn_->server().opt.idle_timeout);
  asio::async_write(client(), asio::buffer(continueHead()),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (self->closed_) return;
                      if (ec) {
                        self->closeUpstream();
                        self->end(0, false, false);
                        return;
                      }
                      self->pumpRequestBody();
                    });
}

void Forwarder::framePiece(std::string_view head, std::size_t n, bool chunked, bool last) {
  out_.clear();
  if (!head.empty()) out_.emplace_back(head.data(), head.size());
  if (chunked) {
    if (n > 0) {
      chunk_.emplace(asio::const_buffer(buf(), n));
      for (auto b : beast::buffers_range_ref(*chunk_)) out_.push_back(b);
    }
    if (last) {
      last_chunk_.emplace();
      for (auto b : beast::buffers_range_ref(*last_chunk_)) out_.push_back(b);
    }
  } else if (n > 0) {
    out_.emplace_back(buf(), n);
  }
}

// --- request body: client -> upstream, one piece at a time -------------------------
void Forwarder::pumpRequestBody() {
  auto& body = req_.get().body();
  body.data = buf();
  body.size = kChunk;
  auto& in = conn_->buffer();
  boost::system::error_code ec;
  while (!req_.is_done() && body.size > 0 && in.size() > 0) {
    auto n = req_.put(in.data(), ec);
    in.consume(n);
    if (ec == http::error::need_buffer || ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec) {
      // A broken chunked body: the upstream has a partial request and cannot be reused.
      closeUpstream();
      answerLocally(http::status::bad_request, "malformed_body");
      return;
    }
    if (n == 0) break;
  }
  const std::size_t produced = kChunk - body.size;
  const bool last = req_.is_done();
  if (produced == 0 && !last) {
    setDeadline(Step::kRequestBody, conn_->server().opt.idle_timeout);
    client().async_read_some(
        in.prepare(kChunk),
        [self = shared_from_this()](const boost::system::error_code& rec, std::size_t n) {
          if (self->closed_) return;
          if (rec) {
            // The client went away or stalled mid-body: nothing to answer.
            self->closeUpstream();
            self->end(self->timed_out_ ? 408 : 499, false, false);  // 499: nginx's "client closed"
            return;
          }
          self->conn_->buffer().commit(n);
          self->pumpRequestBody();
        });
    return;
  }
  body_consumed_ = body_consumed_ || produced > 0;
  framePiece({}, produced, chunked_in_, last && chunked_in_);
  setDeadline(Step::kRequestBody, conn_->server().opt.idle_timeout);
  asio::async_write(*up_, out_,
                    [self = shared_from_this()](const boost::system::error_code& wec, std::size_t) {
                      if (self->closed_) return;
                      if (wec) {
                        self->onUpstreamError(wec);
                      } else if (self->req_.is_done()) {
                        self->readResponseHead();
                      } else {
                        self->pumpRequestBody();
                      }
                    });
}

// --- response head ------------------------------------------------------------------
void Forwarder::readResponseHead() {
  res_.emplace();
  res_->header_limit(static_cast<std::uint32_t>(conn_->server().opt.max_header_bytes));
  res_->body_limit(boost::none);
  if (head_) res_->skip(true);  // RFC 9110 s9.3.2: no body follows
  setDeadline(Step::kAwaitingResponse, conn_->server().opt.forward.response_timeout);
  parseResponseHead();
}

void Forwarder::parseResponseHead() {
  if (up_buf_.size() > 0) {
    boost::system::error_code ec;
    auto n = res_->put(up_buf_.data(), ec);
    if (!ec) {
      up_buf_.consume(n);
      onResponseHead();
      return;
    }
    if (ec != http::error::need_more) {
      onUpstreamError(ec);
      return;
    }
  }
  up_->async_read_some(
      up_buf_.prepare(kChunk),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->closed_) return;
        if (ec) {
          self->onUpstreamError(ec);
          return;
        }
        self->up_buf_.commit(n);
        self->parseResponseHead();
      });
}

void Forwarder::onUpstreamError(const boost::system::error_code& ec) {
  // Before any response byte: a reused connection the upstream had closed is retried
  // once on a new one, when the request can still be sent whole (no body byte taken).
  if (reused_ && !retried_ && !body_consumed_ && !timed_out_ && isStale(ec)) {
    retried_ = true;
    connectFresh();
    return;
  }
  upstreamFailed(timed_out_ ? "upstream_timeout" : "upstream_failed");
}

void Forwarder::upstreamFailed(std::string_view reason) {
  closeUpstream();
  spdlog::warn("proxy: {} ({} {})", reason, std::string(req_.get().method_string()),
               conn_->logPath());
  const bool timeout = reason == "upstream_timeout" || reason == "upstream_connect_timeout";
  answerLocally(timeout ? http::status::gateway_timeout : http::status::bad_gateway, reason);
}

void Forwarder::answerLocally(http::status status, std::string_view code) {
  // The page only looks at the version, Accept and the Fetch metadata of the request.
  Request view{http::verb::get, "/", client_version_};
  if (!accept_.empty()) view.set(http::field::accept, accept_);
  if (!fetch_mode_.empty()) view.set("Sec-Fetch-Mode", fetch_mode_);
  if (!requested_with_.empty()) view.set("X-Requested-With", requested_with_);
  view.set("X-Request-Id", conn_->requestId());  // for the page to show
  const auto& page = conn_->server().opt.forward.error_page;
  Response res =
      page ? page(view, status, code) : makeResponse(view, status, std::string(code) + "\n");
  status_ = static_cast<unsigned>(status);
  // An unread request body cannot be skipped reliably: close after answering.
  keep_client_ = client_keep_alive_ && req_.is_done() && !upgrade_ && !conn_->draining();
  res.version(client_version_);
  res.set("X-Request-Id", conn_->requestId());
  res.keep_alive(keep_client_);
  res.prepare_payload();
  if (head_) res.body().clear();
  serializeHeader(head_out_, res.base());
  head_out_ += res.body();
  setDeadline(Step::kLocalAnswer, conn_->server().opt.idle_timeout);
  asio::async_write(client(), asio::buffer(head_out_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (self->closed_) return;
                      self->end(self->status_, !ec && self->keep_client_, !ec);
                    });
}

void Forwarder::onResponseHead() {
  auto& res = res_->get();
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
    readResponseHead();  // 100/103 interim responses are not relayed
    return;
  }
  status_ = status;
  upstream_keep_alive_ = res.keep_alive();
  const bool lengthKnown = res_->content_length().has_value();
  const bool bodyless = head_ || status == 204 || status == 304;
  // During a drain the connection closes after this response (Connection: close).
  bool closeClient = !client_keep_alive_ || upgrade_ || conn_->draining();
  chunked_out_ = false;
  if (!bodyless && (res_->chunked() || !lengthKnown)) {
    if (client_version_ >= 11) {
      chunked_out_ = true;
    } else {
      closeClient = true;  // an HTTP/1.0 client: the end of the body is the close
    }
  }
  keep_client_ = !closeClient;
  prepareClientResponse(res.base(), client_version_, keep_client_, chunked_out_);
  if (res.find("X-Request-Id") == res.end()) res.set("X-Request-Id", conn_->requestId());
  // Serialized now, before any body byte is parsed: the upstream's trailers (which the
  // parser merges into these fields) are never sent.
  serializeHeader(head_out_, res.base());
  response_started_ = false;
  pumpResponseBody();
}

// --- response body: upstream -> client ----------------------------------------------
void Forwarder::pumpResponseBody() {
  if (res_->is_done()) {
    writeResponsePiece(0, true);
    return;
  }
  auto& body = res_->get().body();
  body.data = buf();
  body.size = kChunk;
  boost::system::error_code ec;
  while (!res_->is_done() && body.size > 0 && up_buf_.size() > 0) {
    auto n = res_->put(up_buf_.data(), ec);
    up_buf_.consume(n);
    if (ec == http::error::need_buffer || ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec) break;
    if (n == 0) break;
  }
  if (ec) {
    onUpstreamError(ec);
    return;
  }
  const std::size_t produced = kChunk - body.size;
  if (produced > 0 || res_->is_done()) {
    writeResponsePiece(produced, res_->is_done());
    return;
  }
  setDeadline(Step::kResponseBody, conn_->server().opt.forward.response_timeout);
  up_->async_read_some(
      up_buf_.prepare(kChunk),
      [self = shared_from_this()](const boost::system::error_code& rec, std::size_t n) {
        if (self->closed_) return;
        if (rec == asio::error::eof && self->res_->need_eof()) {
          // A body delimited by the close (RFC 9112 s6.3 item 8) is complete now.
          boost::system::error_code eof;
          self->res_->put_eof(eof);
          if (!eof) {
            self->upstream_keep_alive_ = false;
            self->pumpResponseBody();
            return;
          }
        }
        if (rec) {
          self->onUpstreamError(rec);
          return;
        }
        self->up_buf_.commit(n);
        self->pumpResponseBody();
      });
}

void Forwarder::writeResponsePiece(std::size_t n, bool last) {
  framePiece(response_started_ ? std::string_view{} : std::string_view(head_out_), n, chunked_out_,
             last && chunked_out_);
  response_started_ = true;
  setDeadline(Step::kResponseBody, conn_->server().opt.idle_timeout);
  asio::async_write(
      client(), out_,
      [self = shared_from_this(), last](const boost::system::error_code& ec, std::size_t) {
        if (self->closed_) return;
        if (ec) {
          self->closeUpstream();
          self->end(self->status_, false, false);
        } else if (last) {
          self->finish();
        } else {
          self->pumpResponseBody();
        }
      });
}

// --- end of an exchange -------------------------------------------------------------
void Forwarder::finish() {
  // The upstream connection is reusable when it said keep-alive, delivered a framed
  // response completely and has nothing more buffered.
  const bool reusable = up_ && upstream_keep_alive_ && res_ && res_->is_done() && req_.is_done() &&
                        up_buf_.size() == 0;
  if (reusable) {
    conn_->thread().pool.put(*decision_.upstream, std::move(*up_));
    up_.reset();
  } else {
    closeUpstream();
  }
  end(status_, keep_client_ && req_.is_done(), true);
}

void Forwarder::end(unsigned status, bool keepAlive, bool linger) {
  step_ = Step::kDone;
  deadline_ = Clock::time_point::max();
  using After = Connection::After;
  conn_->forwardDone(status,
                     keepAlive ? After::kKeepAlive : (linger ? After::kLinger : After::kClose));
}

void Forwarder::closeUpstream() {
  if (resolver_) resolver_->cancel();
  if (!up_) return;
  boost::system::error_code ec;
  up_->close(ec);
  up_.reset();
}

void Forwarder::onTimeout() {
  timed_out_ = true;
  if (step_ == Step::kTunnel) {
    closeTunnel();
    return;
  }
  // The pending operation completes with operation_aborted and sees timed_out_.
  boost::system::error_code ec;
  if (up_) up_->cancel(ec);
  if (resolver_) resolver_->cancel();
  client().socket().cancel(ec);
}

void Forwarder::onDrain() {
  if (step_ == Step::kTunnel) closeTunnel();
}

void Forwarder::close() {
  closed_ = true;
  closeUpstream();
}

// --- WebSocket (any Upgrade) tunnel after the upstream's 101 ------------------------
void Forwarder::startTunnel() {
  status_ = 101;
  auto& res = res_->get();
  prepareClientResponse(res.base(), 11, true, false);
  serializeHeader(head_out_, res.base());
  setDeadline(Step::kTunnel, conn_->server().opt.idle_timeout);
  asio::async_write(client(), asio::buffer(head_out_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (self->closed_) return;
                      if (ec) {
                        self->closeUpstream();
                        self->end(101, false, false);
                        return;
                      }
                      self->last_activity_ = Clock::now();
                      self->setDeadline(Step::kTunnel,
                                        self->conn_->server().opt.forward.tunnel_idle_timeout);
                      self->pipes_open_ = 2;
                      for (int i = 0; i < 2; ++i) {
                        self->pipes_[i].buf.resize(kTunnelChunk);
                        self->pipe(i);
                      }
                    });
}

namespace {
tcp::socket& tcpOf(tcp::socket& s) { return s; }
tcp::socket& tcpOf(ClientStream& s) { return s.socket(); }
}  // namespace

// Pipe 0: client -> upstream; pipe 1: upstream -> client. Bytes already read past the
// heads go first.
void Forwarder::pipe(int i) {
  if (i == 0) {
    pump(0, client(), *up_, conn_->buffer());
  } else {
    pump(1, *up_, client(), up_buf_);
  }
}

template <class From, class To>
void Forwarder::pump(int i, From& from, To& to, boost::beast::flat_buffer& pending) {
  if (pending.size() > 0) {
    asio::async_write(to, pending.data(),
                      [self = shared_from_this(), i, &pending](const boost::system::error_code& ec,
                                                               std::size_t n) {
                        if (ec || self->step_ != Step::kTunnel) {
                          self->closeTunnel();
                          self->pipeDone(i);
                          return;
                        }
                        pending.consume(n);
                        self->pipe(i);
                      });
    return;
  }
  from.async_read_some(
      asio::buffer(pipes_[i].buf),
      [self = shared_from_this(), i, &to](const boost::system::error_code& ec, std::size_t n) {
        if (self->step_ != Step::kTunnel) {
          self->pipeDone(i);
          return;
        }
        if (ec) {
          // EOF on one side: pass the half-close on; close when both are done.
          boost::system::error_code ignored;
          tcpOf(to).shutdown(tcp::socket::shutdown_send, ignored);
          self->pipes_[i].done = true;
          if (ec != asio::error::eof || (self->pipes_[0].done && self->pipes_[1].done)) {
            self->closeTunnel();
          }
          self->pipeDone(i);
          return;
        }
        self->last_activity_ = Clock::now();
        self->deadline_ =
            self->last_activity_ + self->conn_->server().opt.forward.tunnel_idle_timeout;
        asio::async_write(to, asio::buffer(self->pipes_[i].buf.data(), n),
                          [self, i](const boost::system::error_code& wec, std::size_t) {
                            if (wec || self->step_ != Step::kTunnel) {
                              self->closeTunnel();
                              self->pipeDone(i);
                              return;
                            }
                            self->pipe(i);
                          });
      });
}

void Forwarder::pipeDone(int) {
  if (--pipes_open_ == 0) end(101, false, false);
}

void Forwarder::closeTunnel() {
  if (step_ != Step::kTunnel) return;
  step_ = Step::kDone;
  boost::system::error_code ec;
  client().socket().close(ec);
  closeUpstream();
}

}  // namespace authgate::net
