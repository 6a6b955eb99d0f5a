// The forwarding phases of a connection (internal to src/net): one allowed request
// forwarded to its upstream, and the response back, both bodies streamed through one
// 64 KiB buffer (never a whole body in memory); a WebSocket (any HTTP/1.1 Upgrade)
// tunnel after the upstream's 101.
//
// Framing is Beast's throughout: its parser reads both messages, its field writer
// serializes both heads, its chunk encoder frames chunked bodies. The upstream request
// head is rebuilt by the trust-boundary rules (net/trust_boundary.h) and serialized
// before any request body byte is parsed, so trailers (which Beast merges into the
// parsed message's fields) never reach an upstream; the client's response head is
// serialized before any response body byte is parsed, for the same reason. Trailers are
// dropped in both directions.
//
// Steps, each with its deadline (Connection::arm, Forwarder::deadline):
//   kConnecting          a pooled connection, or connect (connect_timeout)
//   kSendingHead         the upstream request head, alone (idle_timeout)
//   kContinue            "100 Continue" to a client that asked for it (idle_timeout)
//   kRequestBody         client body pieces to the upstream (idle_timeout per piece)
//   kAwaitingResponse    the upstream's response head (response_timeout)
//   kResponseBody        upstream body pieces to the client, the head with the first
//                        (response_timeout per upstream read, idle_timeout per write)
//   kLocalAnswer         a 502/504 of authgate's own (idle_timeout)
//   kTunnel              bytes both ways (tunnel_idle_timeout without traffic)
// A reused pooled connection that turns out closed before any response byte is retried
// once on a new connection, when no request body byte was consumed yet.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/client_stream.h"
#include "net/http.h"

namespace authgate::net {

class Connection;

class Forwarder : public std::enable_shared_from_this<Forwarder> {
 public:
  using Clock = std::chrono::steady_clock;

  // `request`: the parser with the head read and no body byte parsed yet.
  Forwarder(std::shared_ptr<Connection> conn, http::request_parser<http::string_body>&& request,
            ForwardDecision decision);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  void start();
  Clock::time_point deadline() const { return deadline_; }
  void onTimeout();  // the deadline passed: cancel what is pending
  void onDrain();    // the server drains: a tunnel closes now
  void close();      // the connection closed: drop the upstream connection too

 private:
  enum class Step {
    kConnecting,
    kSendingHead,
    kContinue,
    kRequestBody,
    kAwaitingResponse,
    kResponseBody,
    kLocalAnswer,
    kTunnel,
    kDone,
  };

  void setDeadline(Step step, std::chrono::milliseconds d);
  ClientStream& client();
  void acquire();
  void connectFresh();
  void onConnected(const boost::system::error_code& ec);
  void sendHead();
  void sendContinue();
  void pumpRequestBody();
  void readResponseHead();
  void parseResponseHead();
  void onResponseHead();
  void pumpResponseBody();
  void writeResponsePiece(std::size_t n, bool last);
  void onUpstreamError(const boost::system::error_code& ec);
  void upstreamFailed(std::string_view reason);
  void answerLocally(http::status status, std::string_view code);
  void finish();
  void end(unsigned status, bool keepAlive, bool linger);
  void closeUpstream();
  void startTunnel();
  void pipe(int i);
  template <class From, class To>
  void pump(int i, From& from, To& to, boost::beast::flat_buffer& pending);
  void pipeDone(int i);
  void closeTunnel();
  // The body pieces of one write: Beast's chunk framing around `n` bytes of buf() when
  // `chunked`, then the last chunk when `last`, after `head` when not empty.
  void framePiece(std::string_view head, std::size_t n, bool chunked, bool last);

  std::shared_ptr<Connection> conn_;
  http::request_parser<http::buffer_body> req_;
  ForwardDecision decision_;
  Step step_ = Step::kConnecting;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  bool closed_ = false;

  // The client's request, as it arrived.
  unsigned client_version_ = 11;
  bool client_keep_alive_ = false;
  bool head_ = false;
  bool upgrade_ = false;
  bool expect_continue_ = false;
  bool chunked_in_ = false;  // the request body is chunked (and so is the upstream's)
  bool has_body_ = false;
  bool body_consumed_ = false;  // a request body byte was taken from the client
  std::string accept_;          // for a 502/504 page: Accept and the Fetch metadata
  std::string fetch_mode_;
  std::string requested_with_;

  // Upstream.
  std::optional<boost::asio::ip::tcp::socket> up_;
  std::optional<boost::asio::ip::tcp::resolver> resolver_;
  boost::beast::flat_buffer& up_buf_;  // the connection's (ForwardBuffers)
  bool reused_ = false;
  bool retried_ = false;
  std::optional<http::response_parser<http::buffer_body>> res_;
  bool upstream_keep_alive_ = false;

  // The response to the client.
  unsigned status_ = 0;
  bool keep_client_ = false;
  bool chunked_out_ = false;
  bool response_started_ = false;
  std::string head_out_;  // a serialized head (upstream request, then client response)
  std::shared_ptr<Response> local_;
  char* buf();  // the connection's body buffer, allocated when a body first moves
  std::vector<boost::asio::const_buffer>& out_;  // the buffers of the write in flight
  std::optional<http::chunk_body<boost::asio::const_buffer>> chunk_;
  std::optional<http::chunk_last<>> last_chunk_;

  // Tunnel.
  struct Pipe {
    bool done = false;
    std::vector<char> buf;
  };
  Pipe pipes_[2];
  int pipes_open_ = 0;
  Clock::time_point last_activity_{};
};

}  // namespace authgate::net
