// The request/response vocabulary shared by the HTTP server (net::Server) and the
// routes (gateway/). A route is a function from a parsed request to a response: it never
// sees a socket, so it can be unit-tested with plain values (the Beast examples'
// handle_request shape).
#pragma once

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authgate::net {

namespace http = boost::beast::http;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// What the server knows about a request beyond the message itself.
struct RequestContext {
  std::string_view request_id;      // 16 hex chars, echoed as X-Request-Id
  std::string_view path;            // target without the query string
  std::string_view query;           // raw query (after '?'), never to be logged
  boost::asio::ip::address remote;  // the TCP peer (a proxy when behind one)
  // Values of `{name}` segments and of a trailing `*` (named "*") in the route pattern.
  std::vector<std::pair<std::string, std::string>> params;

  std::string_view param(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return v;
    }
    return {};
  }
};

using Handler = std::function<Response(const Request&, RequestContext&)>;

// Extension point for routes that need the connection itself once the header is read
// (reverse proxy, WebSocket upgrade). The server hands over the stream, the bytes it
// has already buffered (possibly the start of the body) and a parser holding the header
// whose body is not yet read (buffer_body, so it can be streamed), then forgets the
// connection: from then on the handler owns it, including timeouts, limits, draining
// and the access-log line.
struct StreamHandoff {
  boost::beast::tcp_stream stream;
  boost::beast::flat_buffer buffer;
  std::unique_ptr<http::request_parser<http::buffer_body>> parser;
  std::string request_id;
  boost::asio::ip::address remote;
  std::vector<std::pair<std::string, std::string>> params;
  // Gives the connection back to the server once the handler has finished an exchange
  // and both sides allow keep-alive: the server then reads the next request from
  // `buffer` (which may already hold it) and the stream, as for any keep-alive
  // connection, so the next request is routed again (it may be /auth/check). During a
  // drain the server closes it instead. Call at most once, on the stream's executor.
  std::function<void(boost::beast::tcp_stream&&, boost::beast::flat_buffer&&)> resume;
  // True once the server drains (SIGTERM): long-lived connections (WebSocket tunnels)
  // close themselves soon after. Valid for as long as the server runs.
  const std::atomic<bool>* draining = nullptr;
};
using StreamHandler = std::function<void(std::unique_ptr<StreamHandoff>)>;

struct Route {
  std::string pattern;              // metrics label "route"; e.g. /auth/sessions/{id}
  std::vector<http::verb> methods;  // empty: any method; GET also answers HEAD
  Handler handler;
  // Runs on the server's worker pool instead of the I/O thread: for handlers that
  // block (outbound HTTP, SQLite). The response is posted back to the connection.
  bool blocking = false;
  // For a blocking route: true when this request cannot block (e.g. its session is in
  // this machine's store), so it runs on the I/O thread and skips two thread switches.
  // Called on the I/O thread with the complete request; must not block itself.
  std::function<bool(const Request&)> inline_when;
  StreamHandler stream;  // when set, `handler` is not used
  std::size_t id = 0;    // index in the table, set by the table

  bool allows(http::verb v) const {
    if (methods.empty()) return true;
    for (auto m : methods) {
      if (m == v || (m == http::verb::get && v == http::verb::head)) return true;
    }
    return false;
  }
};

struct RouteMatch {
  const Route* route = nullptr;  // nullptr: no pattern matches the path (404)
  bool method_allowed = false;   // false with a route: 405
};

// The server's view of the route table. Implemented by gateway::Router; must be complete
// before the server is constructed (the server sizes its per-route metrics from it) and
// is only read afterwards, from several threads.
class RouteTable {
 public:
  virtual ~RouteTable() = default;
  virtual std::size_t size() const = 0;
  virtual const Route& at(std::size_t id) const = 0;
  // Fills ctx.params for patterned routes.
  virtual RouteMatch match(http::verb method, std::string_view path, RequestContext& ctx) const = 0;
};

// A fresh request id (X-Request-Id, access log): 16 hex chars from a per-thread
// splitmix64 seeded from the CSPRNG. Ids identify requests in logs; they are not
// secrets. For stream routes that read further requests on a connection themselves.
void newRequestId(char (&out)[16]);

// One access-log line, JSON: {"type":"access","id","method","path","status",
// "duration_ms"[,"route"]}, written into `out` (reused, so a keep-alive connection does
// not allocate per request). Strings are escaped so the line is valid JSON whatever
// the client sent; `path` must already be without its query (it may carry codes).
void formatAccessLog(std::string& out, std::string_view id, std::string_view method,
                     std::string_view path, unsigned status, double seconds,
                     std::string_view route = {});

// A message header exactly as Beast's serializer writes it (Beast's own field writer),
// into one reusable string, for a single plain write: on small messages the
// serializer's buffer-sequence machinery costs more than the bytes.
void serializeHeader(std::string& out, const http::request_header<>& h);
void serializeHeader(std::string& out, const http::response_header<>& h);

// Small helpers for handlers.
Response makeResponse(const Request& req, http::status status, std::string body,
                      std::string_view content_type = "text/plain; charset=utf-8");

}  // namespace authgate::net
