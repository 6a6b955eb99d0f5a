// One client connection of the HTTP engine (internal to src/net): a state machine that
// reads a request, has a route answer it or decide to forward it, writes the answer or
// hands the exchange to its forwarding phases (net/forwarder.h), and then reads the
// next request on the same connection. It only does I/O and bookkeeping.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/client_stream.h"
#include "net/http.h"

namespace authgate::net {

class ServerImpl;
class Forwarder;
struct IoThread;

// Buffers a connection's forwarded exchanges reuse, one exchange at a time: allocated
// with the first, not per request.
struct ForwardBuffers {
  std::unique_ptr<char[]> body;                // the one body buffer (Forwarder's kChunk)
  boost::beast::flat_buffer upstream;          // bytes read from the upstream
  std::vector<boost::asio::const_buffer> out;  // the buffers of the write in flight
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;

  // `tls`: the server's TLS context (server.tls), or nullptr for plain HTTP.
  Connection(ServerImpl& srv, IoThread& thread, boost::asio::ip::tcp::socket&& socket,
             std::shared_ptr<boost::asio::ssl::context> tls, ListenerKind listener);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  // Drain: a connection waiting for its next request is closed now; one with a request
  // in flight is closed after its answer; a tunnel within a second.
  void closeIfIdle();

  // --- for the forwarding phases (same thread) ---------------------------------------
  ServerImpl& server() { return srv_; }
  IoThread& thread() { return thread_; }
  ClientStream& stream() { return stream_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }
  ForwardBuffers& forwardBuffers() { return forward_buffers_; }
  std::string_view requestId() const { return {id_, sizeof id_}; }
  std::string_view logPath() const { return log_path_; }  // the path, without the query
  // The current request's context. Its path and query views die with the head: once the
  // forwarder rewrote the target, use logPath().
  const RequestContext& context() const { return ctx_; }
  bool draining() const;
  // The forwarder's deadline moved (Forwarder::deadline()).
  void arm();
  // The exchange is over: its status for the log; keep the connection for the next
  // request, or close it (lingering when the client may still be sending).
  enum class After { kKeepAlive, kLinger, kClose };
  void forwardDone(unsigned status, After after);

 private:
  enum class Phase {
    kIdle,        // waiting for the first byte of a request (idle/read timeout -> close)
    kReading,     // part of a request arrived (read timeout -> 408)
    kHandling,    // a route runs (no timeout: deferred handlers bound their own calls)
    kWriting,     // answer being written (idle timeout -> close)
    kForwarding,  // the forwarder's phases (its own deadline, Forwarder::deadline())
    kLingering,   // sent an error and shut down our side; draining the client's bytes
    kClosed,
  };

  Clock::time_point deadline() const;
  void onTimer();
  void readRequest();
  void readMore();
  void parseBuffered();
  void afterHeader();
  void afterParse();
  void onReadError(const boost::system::error_code& ec);
  void fail(http::status status, std::string body);
  void beginExchange();
  void onRequest();
  void decide();
  void onDecision(ForwardDecision d);
  template <class Answer, class Run>
  void runHandler(Run run, void (Connection::*done)(Answer));
  void respond(Response res);
  void onWrite(const boost::system::error_code& ec);
  void logExchange(unsigned status);
  void lingeringClose();
  void discard();
  void closeNow();

  ServerImpl& srv_;
  IoThread& thread_;
  ClientStream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  Clock::time_point timer_expiry_{};
  Clock::time_point last_activity_{};
  Clock::time_point read_deadline_{};
  Clock::time_point linger_deadline_{};
  Clock::time_point request_started_{};
  Phase phase_ = Phase::kIdle;
  bool timed_out_ = false;
  std::uint64_t served_ = 0;
  boost::asio::ip::address remote_;
  boost::asio::ip::address remote_plain_;  // remote_ with IPv4-mapped IPv6 as IPv4
  ListenerKind listener_;

  // The current request.
  RequestContext ctx_;
  const Route* route_ = nullptr;
  std::shared_ptr<const void> route_owner_;  // RouteTable::match's owner, until the next match
  bool matched_ = false;
  bool method_allowed_ = false;
  bool keep_alive_ = true;
  bool head_ = false;
  bool counted_ = false;  // in the in-flight gauge
  unsigned version_ = 11;
  char id_[16] = {};
  std::string method_copy_;  // reused buffers: no allocation per keep-alive request
  std::string log_path_;
  std::string line_;
  std::string out_;  // the serialized answer being written
  Response res_;
  std::shared_ptr<Forwarder> forwarder_;  // during kForwarding
  ForwardBuffers forward_buffers_;
};

}  // namespace authgate::net
