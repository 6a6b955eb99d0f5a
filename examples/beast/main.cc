// examples/beast: a Boost.Beast HTTP server that signs its users in with an OpenID
// provider through the installed libauthgate (authgate::rp::RelyingParty). README.md
// says how to build and run it.
//
//   GET  /login     start a login: 302 to the provider
//   GET  /callback  the provider's answer: a session cookie, then 302 to where it started
//   GET  /          protected: who you are (signed out: 302 to /login)
//   POST /refresh   new tokens now: JSON with the access token's new expiry
//   POST /logout    end the session, then 302 to the provider's logout
//
// handle_request turns a request into the facade's values and its answer into a
// response; the library never sees a socket. One thread per connection with blocking
// I/O keeps this short (the facade's steps wait for the provider anyway); a production
// server would use Beast's asynchronous API with timeouts on every read.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <thread>

#include "curl_http_client.h"
#include "example_site.h"

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
namespace core = authgate::core;
namespace rp = authgate::rp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

namespace {

Response reply(const Request& req, int status, std::string_view type, std::string body) {
  Response res{static_cast<http::status>(status), req.version()};
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-store");  // pages about a session: never cached
  res.body() = std::move(body);
  return res;
}

Response redirect(const Request& req, const std::string& location,
                  const core::SetCookie* cookie = nullptr) {
  auto res = reply(req, 302, "text/plain", "");
  res.set(http::field::location, location);
  if (cookie) res.set(http::field::set_cookie, core::formatSetCookie(*cookie));
  return res;
}

Response failure(const Request& req, const rp::Failure& f) {
  auto res = reply(req, f.status, "text/html; charset=utf-8", example::errorPage(f));
  if (f.retryAfter > 0) res.set(http::field::retry_after, std::to_string(f.retryAfter));
  return res;
}

std::optional<std::string> cookie(const Request& req, std::string_view name) {
  auto value = core::findCookie(req[http::field::cookie], name);
  if (!value) return std::nullopt;
  return std::string(*value);
}

Response handle_request(example::Site& site, const Request& req, const std::string& clientIp) {
  rp::RelyingParty& party = site.party();
  const auto& names = party.settings().cookies;
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const std::string_view query =
      path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view();
  const bool get = req.method() == http::verb::get;
  const bool post = req.method() == http::verb::post;

  // A POST must come from one of our own pages: browsers send Origin on every POST. The
  // cookies are SameSite=Lax, so another site's POST carries no session anyway; this
  // refuses it before anything happens.
  if (post && req[http::field::origin] != site.origin()) {
    return reply(req, 403, "text/plain", "cross-site request refused\n");
  }

  if (get && path == "/login") {
    auto params = core::formDecode(query);
    rp::LoginRequest in;
    in.returnTo = params ? core::findParam(*params, "return_to").value_or("/") : "/";
    in.bindingCookie = cookie(req, names.transaction);
    in.clientIp = clientIp;
    auto out = party.startLogin(in);
    if (auto* f = std::get_if<rp::Failure>(&out)) return failure(req, *f);
    auto& go = std::get<rp::LoginRedirect>(out);
    return redirect(req, go.location, &go.bindingCookie);
  }

  if (get && path == "/callback") {
    auto params = core::formDecode(query);
    if (!params) return reply(req, 400, "text/plain", "malformed callback\n");
    rp::CallbackRequest in;
    in.params = std::move(*params);
    in.bindingCookie = cookie(req, names.transaction);
    in.sessionCookie = cookie(req, names.session);
    in.clientIp = clientIp;
    in.userAgent = std::string(req[http::field::user_agent]);
    auto out = party.completeLogin(in);
    if (auto* f = std::get_if<rp::Failure>(&out)) return failure(req, *f);
    auto& result = std::get<rp::CallbackResult>(out);
    if (auto* again = std::get_if<rp::RestartLogin>(&result)) {
      // Another tab's login took this browser's binding cookie: start over, once.
      return redirect(req, "/login?return_to=" + core::percentEncode(again->returnTo));
    }
    auto& done = std::get<rp::LoginComplete>(result);
    return redirect(req, done.returnTo, &done.sessionCookie);
  }

  const bool home = get && path == "/";
  const bool refresh = post && path == "/refresh";
  const bool logout = post && path == "/logout";
  if (!home && !refresh && !logout) return reply(req, 404, "text/plain", "not found\n");

  auto auth = party.authenticate(cookie(req, names.session));
  if (auth.status == rp::AuthStatus::kUnavailable) {
    // The store cannot answer: never "signed out" (that is how redirect loops start).
    return reply(req, 503, "text/plain", "sessions unavailable, try again\n");
  }
  if (auth.status != rp::AuthStatus::kActive) {
    if (refresh) return reply(req, 401, "application/json", R"({"status":"signed_out"})");
    if (logout) {
      auto cleared = party.clearedSessionCookie();
      return redirect(req, party.postLogoutTarget(), &cleared);
    }
    return redirect(req, "/login");
  }
  const auto& s = *auth.session;
  if (home) return reply(req, 200, "text/html; charset=utf-8", example::homePage(s));
  if (refresh) {
    auto [status, body] = example::refreshReply(party.refresh(s));
    return reply(req, status, "application/json", std::move(body));
  }
  auto out = party.logout(s);
  if (auto* f = std::get_if<rp::Failure>(&out)) return failure(req, *f);
  auto& done = std::get<rp::LogoutDone>(out);
  return redirect(req, done.location, &done.clearedCookie);
}

// One connection: requests in turn until the client closes or asks to.
void serve(tcp::socket socket, example::Site& site) {
  beast::error_code ec;
  const std::string clientIp = socket.remote_endpoint(ec).address().to_string();
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);  // nothing here takes a large body
    http::read(socket, buffer, parser, ec);
    if (ec) break;
    Request req = parser.release();
    Response res = handle_request(site, req, clientIp);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !res.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

int main(int argc, char** argv) {
  const example::Config config = example::loadConfig(argc, argv);
  try {
    CurlHttpClient http;
    example::Site site(config, http);
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, {net::ip::make_address(config.listen), config.port});
    std::cout << "listening on " << config.listen << ":" << acceptor.local_endpoint().port()
              << ", public URL " << config.publicUrl << std::endl;
    for (;;) {
      tcp::socket socket(ioc);
      acceptor.accept(socket);
      std::thread(serve, std::move(socket), std::ref(site)).detach();
    }
  } catch (const std::exception& e) {
    std::cerr << "example_beast: " << e.what() << '\n';
    return 1;
  }
}
