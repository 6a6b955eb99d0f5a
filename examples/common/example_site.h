// What the two example servers (examples/beast, examples/httplib) share: their settings
// from the environment and argv, the library's parts built once for the process (a
// session store, a session manager, the rp::RelyingParty), and the pages they show.
// Nothing here speaks HTTP: each server maps its own request and response types to the
// facade's values (see its main.cc).
#pragma once

#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "authgate/core/clock.h"
#include "authgate/core/codec.h"
#include "authgate/core/random.h"
#include "authgate/rp/relying_party.h"
#include "authgate/session/audit.h"
#include "authgate/session/memory_store.h"
#include "authgate/session/session_manager.h"
#include "authgate/session/token_cipher.h"

namespace example {

namespace core = authgate::core;
namespace rp = authgate::rp;
namespace session = authgate::session;

struct Config {
  std::string issuer;        // the provider, exactly as its discovery spells it
  std::string clientId;      // a confidential client (a "Regular Web Application" at Auth0)
  std::string clientSecret;  // from the environment only: argv is visible in `ps`
  std::string listen;        // default 127.0.0.1
  unsigned short port = 0;   // default 3000
  std::string publicUrl;     // scheme://host[:port] browsers use; /callback is registered there
};

// The first of these environment variables that is set, or "".
inline std::string env(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (const char* v = std::getenv(name); v && *v) return v;
  }
  return "";
}

// EXAMPLE_ISSUER (or AUTH0_DOMAIN: https://DOMAIN/), EXAMPLE_CLIENT_ID (or AUTH0_CLIENT_ID),
// EXAMPLE_CLIENT_SECRET (or AUTH0_CLIENT_SECRET), EXAMPLE_LISTEN, EXAMPLE_PORT and
// EXAMPLE_PUBLIC_URL; then --issuer, --client-id, --listen, --port and --public-url override
// them. Exits with a usage line when something is missing.
inline Config loadConfig(int argc, char** argv) {
  Config c;
  c.issuer = env({"EXAMPLE_ISSUER"});
  if (auto domain = env({"AUTH0_DOMAIN"}); c.issuer.empty() && !domain.empty()) {
    c.issuer = "https://" + domain + "/";  // Auth0's issuer ends with '/'
  }
  c.clientId = env({"EXAMPLE_CLIENT_ID", "AUTH0_CLIENT_ID"});
  c.clientSecret = env({"EXAMPLE_CLIENT_SECRET", "AUTH0_CLIENT_SECRET"});
  c.listen = env({"EXAMPLE_LISTEN"});
  std::string port = env({"EXAMPLE_PORT"});
  c.publicUrl = env({"EXAMPLE_PUBLIC_URL"});
  const std::map<std::string_view, std::string*> flags{{"--issuer", &c.issuer},
                                                       {"--client-id", &c.clientId},
                                                       {"--listen", &c.listen},
                                                       {"--port", &port},
                                                       {"--public-url", &c.publicUrl}};
  bool ok = argc % 2 == 1;  // flags come in pairs
  for (int i = 1; ok && i + 1 < argc; i += 2) {
    auto flag = flags.find(argv[i]);
    ok = flag != flags.end();
    if (ok) *flag->second = argv[i + 1];
  }
  if (c.listen.empty()) c.listen = "127.0.0.1";
  const int n = port.empty() ? 3000 : std::atoi(port.c_str());
  c.port = static_cast<unsigned short>(n);
  if (c.publicUrl.empty()) c.publicUrl = "http://127.0.0.1:" + std::to_string(c.port);
  while (c.publicUrl.ends_with('/')) c.publicUrl.pop_back();  // scheme://host[:port] only
  if (!ok || c.issuer.empty() || c.clientId.empty() || c.clientSecret.empty() || n <= 0 ||
      n > 65535) {
    std::cerr << "usage: EXAMPLE_CLIENT_SECRET=... " << argv[0]
              << " --issuer URL --client-id ID [--listen ADDR] [--port N] [--public-url URL]\n";
    std::exit(2);
  }
  return c;
}

inline rp::RelyingPartySettings relyingPartySettings(const Config& c) {
  rp::RelyingPartySettings s;
  s.client.issuer = c.issuer;
  s.client.client_id = c.clientId;
  s.client.client_secret = core::Secret(c.clientSecret);
  s.client.redirect_uri = c.publicUrl + "/callback";
  // The default scopes ask for offline_access: the provider then issues a refresh token.
  s.publicUrl = c.publicUrl;
  if (c.publicUrl.starts_with("https://")) {
    // Secure cookies, and the __Host- prefix: no other host or path can set them.
    s.cookies = {.session = "__Host-session", .transaction = "__Host-login", .secure = true};
  } else {
    s.cookies = {.session = "session", .transaction = "login", .secure = false};
  }
  s.log = [](rp::LogLevel level, const std::string& line) {  // never holds a token
    std::cerr << (level == rp::LogLevel::kInfo ? "info: " : "warning: ") << line << '\n';
  };
  return s;
}

// Audit events (login, logout, refresh failures) as JSON lines on stderr; they are
// already redacted (no token, no cookie value).
class StderrAudit final : public session::AuditSink {
 public:
  void write(const session::AuditEvent& e) override {
    std::cerr << session::auditEventJson(e) << '\n';
  }
};

// The library's parts for one process. Every request shares them: the RelyingParty and
// the SessionManager are thread-safe.
class Site {
 public:
  Site(const Config& config, rp::HttpClient& http)
      : store_(session::makeMemoryStore(clock())),
        // Sessions live in this process only (makeMemoryStore) and their tokens are
        // encrypted with a key made at start: a restart signs everybody out. A real
        // server keeps sessions in SQLite, Redis or PostgreSQL with a key it keeps
        // (session::openStore, session::resolveKeys; docs/SESSIONS.md).
        sessions_(*store_, session::TokenCipher::fromKeys({session::generateKey(random())}).value(),
                  audit_, clock(), random()),
        party_(relyingPartySettings(config), http, sessions_, clock(), random()) {}

  rp::RelyingParty& party() { return party_; }
  // The site's own origin: what a browser's Origin header says on our own POSTs.
  const std::string& origin() const { return party_.settings().publicUrl; }

 private:
  static const core::Clock& clock() { return core::SystemClock::instance(); }
  static core::Random& random() { return core::OpenSslRandom::instance(); }

  std::unique_ptr<session::SessionStore> store_;
  StderrAudit audit_;
  session::SessionManager sessions_;
  rp::RelyingParty party_;
};

// --- what the servers answer ---

inline std::string page(std::string_view title, std::string_view body) {
  return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + core::htmlEscape(title) +
         "</title></head><body><h1>" + core::htmlEscape(title) + "</h1>" + std::string(body) +
         "</body></html>\n";
}

// The protected page: who is signed in, when the access token expires, and the two
// buttons. Both are POST forms: a GET that changes state can be triggered by any page
// on the web (an <img src=".../logout">).
inline std::string homePage(const session::Session& s) {
  auto row = [](std::string_view label, std::string_view id, std::string_view value) {
    return "<dt>" + std::string(label) + "</dt><dd id=\"" + std::string(id) + "\">" +
           core::htmlEscape(value) + "</dd>";
  };
  return page("Signed in", "<dl>" + row("Name", "name", s.name) + row("Email", "email", s.email) +
                               row("Subject", "subject", s.subject) +
                               row("Access token expires at (unix time)", "expires-at",
                                   std::to_string(s.tokens.accessTokenExpiresAt)) +
                               "</dl>"
                               "<form id=\"refresh-form\" method=\"post\" action=\"/refresh\">"
                               "<button>Refresh the tokens</button></form>"
                               "<form id=\"logout-form\" method=\"post\" action=\"/logout\">"
                               "<button>Sign out</button></form>");
}

// A failed step: its stable error name for the user to report, never a token or a secret.
inline std::string errorPage(const rp::Failure& f) {
  return page("Sign-in failed", "<p>Error: <code id=\"error\">" +
                                    core::htmlEscape(core::errorName(f.error)) +
                                    "</code></p><p><a href=\"/login\">Try again</a></p>");
}

// POST /refresh: the HTTP status and a JSON body with the new expiry. The tokens
// themselves never leave the server.
inline std::pair<int, std::string> refreshReply(const rp::RefreshResult& r) {
  int status = 200;
  switch (r.status) {
    case rp::RefreshStatus::kRefreshed:
    case rp::RefreshStatus::kNotNeeded:
      break;
    case rp::RefreshStatus::kNoRefreshToken:
      status = 400;  // the provider did not grant offline_access
      break;
    case rp::RefreshStatus::kEnded:
      status = 401;  // the provider refused: the session is over, sign in again
      break;
    case rp::RefreshStatus::kDeferred:
    case rp::RefreshStatus::kUnavailable:
    case rp::RefreshStatus::kStoreUnavailable:
      status = 503;  // try again later; the session is kept
      break;
  }
  std::string body = "{\"status\":\"" + std::string(rp::refreshStatusName(r.status)) + "\"";
  if (r.session)
    body += ",\"expires_at\":" + std::to_string(r.session->tokens.accessTokenExpiresAt);
  return {status, body + "}"};
}

}  // namespace example
