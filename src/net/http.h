// The request/response vocabulary shared by the HTTP engine (net::Server) and the
// routes (gateway/). A route is a function from a parsed request to an answer: it never
// sees a socket, so it can be unit-tested with plain values (the Beast examples'
// handle_request shape). Two kinds of route:
//   - a Handler answers a complete request (body read, within server.max_body_bytes);
//   - a ForwardHandler decides on a request head alone: answer it (deny, redirect,
//     401, 403, 503) or forward it to an upstream with identity headers. The engine
//     then streams both bodies itself (net/forwarder.h).
//
// Execution model (one rule, applied by the engine in one place): every handler first
// runs on the connection's I/O thread with ctx.may_block false. A handler that would
// have to wait (a store read, a provider call, a signature check) calls ctx.defer()
// before it has changed anything and returns; the engine then runs it again on the
// worker pool with ctx.may_block true. Whether a request needs the pool is decided by
// the code that knows (the session cache, the verified-token cache), never by the
// route table or the store's type.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
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

// Which listener a connection came in on. With an admin listener (server.admin_listen)
// the operator routes (Route::admin: /healthz, /readyz, /metrics) answer there only and
// every other route on the main one; without, every route answers on the one listener.
enum class ListenerKind { kOnly, kMain, kAdmin };

// What the server knows about a request beyond the message itself.
struct RequestContext {
  std::string_view request_id;      // 16 hex chars, echoed as X-Request-Id
  std::string_view path;            // target without the query string
  std::string_view query;           // raw query (after '?'), never to be logged
  boost::asio::ip::address remote;  // the TCP peer (a proxy when behind one)
  // The client: `remote`, or, when `remote` is one of server.trusted_proxies, the
  // nearest address in X-Forwarded-For that is not (net/forwarded.h clientAddress).
  boost::asio::ip::address client;
  // Their text as the forwarding headers and the audit write it (forwardedAddress):
  // the engine formats the peer once per connection and the client only when it is not
  // the peer, since inet_ntop costs more than the rest of the forwarding headers.
  std::string remote_text;
  std::string client_text;
  // Values of `{name}` segments and of a trailing `*` (named "*") in the route pattern.
  std::vector<std::pair<std::string, std::string>> params;
  ListenerKind listener = ListenerKind::kOnly;

  // Set by the engine: false on the I/O thread, true on the worker pool.
  bool may_block = false;
  // Set by defer(): the handler's answer is ignored and it runs again on the pool.
  bool deferred = false;
  // Call before changing anything, and only when !may_block.
  void defer() { deferred = true; }

  std::string_view param(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return v;
    }
    return {};
  }
};

using Handler = std::function<Response(const Request&, RequestContext&)>;

class Upstream;  // net/upstream.h

// A forward route's decision on a request head.
struct ForwardDecision {
  // Allow: forward to this upstream (owned by whoever built the route table, alive for
  // as long as the server runs). nullptr: answer `response` instead.
  const Upstream* upstream = nullptr;
  Response response;
  // Set on the upstream request after every incoming copy is removed (the identity
  // headers). Field names must be among ForwardPolicy's protected names or prefixes.
  http::fields identity;
  // The client's Authorization is the credential just validated (a bearer token): pass
  // it on. Otherwise it is removed (unless `identity` sets one).
  bool keep_authorization = false;
  // host[:port] for X-Forwarded-Host and Forwarded host= when the route is for another
  // configured host than ForwardPolicy::public_host ("": the policy's). A trusted
  // proxy's own X-Forwarded-Host still comes first.
  std::string forwarded_host;
};
using ForwardHandler = std::function<ForwardDecision(const Request& head, RequestContext&)>;

struct Route {
  std::string pattern;              // metrics label "route"; e.g. /auth/sessions/{id}
  std::vector<http::verb> methods;  // empty: any method; GET also answers HEAD
  Handler handler;                  // a complete request -> a response
  ForwardHandler forward;           // when set, `handler` is not used
  bool admin = false;               // an operator route (ListenerKind)
  std::size_t id = 0;               // index in the table, set by the table

  bool servedOn(ListenerKind l) const {
    return l == ListenerKind::kOnly || admin == (l == ListenerKind::kAdmin);
  }

  bool allows(http::verb v) const {
    if (methods.empty()) return true;
    for (auto m : methods) {
      if (m == v || (m == http::verb::get && v == http::verb::head)) return true;
    }
    return false;
  }
};

struct RouteMatch {
  RouteMatch() = default;
  RouteMatch(const Route* r, bool allowed) : route(r), method_allowed(allowed) {}

  const Route* route = nullptr;  // nullptr: no pattern matches the path (404)
  bool method_allowed = false;   // false with a route: 405
};

// The server's view of the route table. Implemented by gateway::Router (and
// gateway::LiveRoutes, a Router replaced on reload); must be complete before the server
// is constructed (the server sizes its per-route metrics from it, by route id) and is
// only read afterwards, from several threads. A table that changes keeps every route's
// id and pattern.
class RouteTable {
 public:
  virtual ~RouteTable() = default;
  virtual std::size_t size() const = 0;
  virtual const Route& at(std::size_t id) const = 0;
  // Fills ctx.params for patterned routes.
  //
  // `owner` keeps the matched route (and whatever its handlers use) alive: the
  // connection holds it until its next request, so a table that is replaced meanwhile
  // (a reload) finishes the requests it matched. In: what the connection holds from its
  // previous match; a table that has not changed since leaves it as it is, so a request
  // touches no reference count shared with other threads. Out: what to hold for this
  // match (nullptr: the table outlives the server).
  virtual RouteMatch match(http::verb method, std::string_view path, RequestContext& ctx,
                           std::shared_ptr<const void>& owner) const = 0;
};

// A message header exactly as Beast's serializer writes it (Beast's own field writer),
// into one reusable string, for a single plain write: on small messages the
// serializer's buffer-sequence machinery costs more than the bytes.
void serializeHeader(std::string& out, const http::request_header<>& h);
void serializeHeader(std::string& out, const http::response_header<>& h);

// Small helpers for handlers.
Response makeResponse(const Request& req, http::status status, std::string body,
                      std::string_view content_type = "text/plain; charset=utf-8");

}  // namespace authgate::net
