// examples/httplib: a cpp-httplib server that signs its users in with an OpenID provider
// through the installed libauthgate (authgate::rp::RelyingParty). README.md says how to
// build and run it.
//
//   GET  /login     start a login: 302 to the provider
//   GET  /callback  the provider's answer: a session cookie, then 302 to where it started
//   GET  /          protected: who you are (signed out: 302 to /login)
//   POST /refresh   new tokens now: JSON with the access token's new expiry
//   POST /logout    end the session, then 302 to the provider's logout
//
// Each handler turns an httplib::Request into the facade's values and its answer into an
// httplib::Response; the library never sees a socket. httplib runs the handlers on its
// thread pool, and one RelyingParty serves them all.
#include <iostream>

#include "example_site.h"
#include "httplib_http_client.h"

namespace core = authgate::core;
namespace rp = authgate::rp;
using httplib::Request;
using httplib::Response;

namespace {

void redirect(Response& res, const std::string& location, const core::SetCookie* cookie = nullptr) {
  res.status = 302;
  res.set_header("Location", location);
  res.set_header("Cache-Control", "no-store");
  if (cookie) res.set_header("Set-Cookie", core::formatSetCookie(*cookie));
}

void reply(Response& res, int status, const std::string& type, const std::string& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");  // pages about a session: never cached
  res.set_content(body, type.c_str());
}

void failure(Response& res, const rp::Failure& f) {
  reply(res, f.status, "text/html; charset=utf-8", example::errorPage(f));
  if (f.retryAfter > 0) res.set_header("Retry-After", std::to_string(f.retryAfter));
}

std::optional<std::string> cookie(const Request& req, std::string_view name) {
  const std::string header = req.get_header_value("Cookie");  // a copy: findCookie views it
  auto value = core::findCookie(header, name);
  if (!value) return std::nullopt;
  return std::string(*value);
}

// A POST must come from one of our own pages: browsers send Origin on every POST. The
// cookies are SameSite=Lax, so another site's POST carries no session anyway; this
// refuses it before anything happens.
bool fromOwnPage(const example::Site& site, const Request& req, Response& res) {
  if (req.get_header_value("Origin") == site.origin()) return true;
  reply(res, 403, "text/plain", "cross-site request refused\n");
  return false;
}

// The signed-in session, or nothing when the handler has already answered: 302 to
// /login for the page, 401 for the API, 503 when the store cannot answer (never
// "signed out": that is how redirect loops start).
std::optional<authgate::session::Session> signedIn(rp::RelyingParty& party, const Request& req,
                                                   Response& res, bool page) {
  auto auth = party.authenticate(cookie(req, party.settings().cookies.session));
  if (auth.status == rp::AuthStatus::kActive) return std::move(auth.session);
  if (auth.status == rp::AuthStatus::kUnavailable) {
    reply(res, 503, "text/plain", "sessions unavailable, try again\n");
  } else if (page) {
    redirect(res, "/login");
  } else {
    reply(res, 401, "application/json", R"({"status":"signed_out"})");
  }
  return std::nullopt;
}

void addRoutes(httplib::Server& server, example::Site& site) {
  rp::RelyingParty& party = site.party();
  const rp::CookieSettings& names = party.settings().cookies;

  server.Get("/login", [&](const Request& req, Response& res) {
    rp::LoginRequest in;
    in.returnTo = req.has_param("return_to") ? req.get_param_value("return_to") : "/";
    in.bindingCookie = cookie(req, names.transaction);
    in.clientIp = req.remote_addr;
    auto out = party.startLogin(in);
    if (auto* f = std::get_if<rp::Failure>(&out)) return failure(res, *f);
    auto& go = std::get<rp::LoginRedirect>(out);
    redirect(res, go.location, &go.bindingCookie);
  });

  server.Get("/callback", [&](const Request& req, Response& res) {
    rp::CallbackRequest in;
    for (const auto& [name, value] : req.params) in.params.emplace_back(name, value);
    in.bindingCookie = cookie(req, names.transaction);
    in.sessionCookie = cookie(req, names.session);
    in.clientIp = req.remote_addr;
    in.userAgent = req.get_header_value("User-Agent");
    auto out = party.completeLogin(in);
    if (auto* f = std::get_if<rp::Failure>(&out)) return failure(res, *f);
    auto& result = std::get<rp::CallbackResult>(out);
    if (auto* again = std::get_if<rp::RestartLogin>(&result)) {
      // Another tab's login took this browser's binding cookie: start over, once.
      return redirect(res, "/login?return_to=" + core::percentEncode(again->returnTo));
    }
    auto& done = std::get<rp::LoginComplete>(result);
    redirect(res, done.returnTo, &done.sessionCookie);
  });

  server.Get("/", [&](const Request& req, Response& res) {
    auto s = signedIn(party, req, res, true);
    if (s) reply(res, 200, "text/html; charset=utf-8", example::homePage(*s));
  });

  server.Post("/refresh", [&](const Request& req, Response& res) {
    if (!fromOwnPage(site, req, res)) return;
    auto s = signedIn(party, req, res, false);
    if (!s) return;
    auto [status, body] = example::refreshReply(party.refresh(*s));
    reply(res, status, "application/json", body);
  });

  server.Post("/logout", [&](const Request& req, Response& res) {
    if (!fromOwnPage(site, req, res)) return;
    auto auth = party.authenticate(cookie(req, names.session));
    if (auth.status == rp::AuthStatus::kUnavailable) {
      return reply(res, 503, "text/plain", "sessions unavailable, try again\n");
    }
    if (auth.status != rp::AuthStatus::kActive) {  // signed out already: clear the cookie
      auto cleared = party.clearedSessionCookie();
      return redirect(res, party.postLogoutTarget(), &cleared);
    }
    auto out = party.logout(*auth.session);
    if (auto* f = std::get_if<rp::Failure>(&out)) return failure(res, *f);
    auto& done = std::get<rp::LogoutDone>(out);
    redirect(res, done.location, &done.clearedCookie);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const example::Config config = example::loadConfig(argc, argv);
  HttplibHttpClient http;
  example::Site site(config, http);
  httplib::Server server;
  server.set_payload_max_length(64 * 1024);  // nothing here takes a large body
  addRoutes(server, site);
  if (!server.bind_to_port(config.listen.c_str(), config.port)) {
    std::cerr << "example_httplib: cannot listen on " << config.listen << ":" << config.port
              << '\n';
    return 1;
  }
  std::cout << "listening on " << config.listen << ":" << config.port << ", public URL "
            << config.publicUrl << std::endl;
  return server.listen_after_bind() ? 0 : 1;
}
