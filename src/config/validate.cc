// Offline checks of a complete Config: each rule is a small function adding
// `key: reason` problems; none stops at the first.
#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "authgate/core/base64url.h"
#include "config/duration.h"
#include "config/load.h"
#include "config/pages.h"
#include "config/routes.h"
#include "config/scalar.h"

namespace authgate::config {
namespace {

using Problems = std::vector<Problem>;

bool oneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

bool isLoopbackHost(std::string_view host) {
  const auto h = toLower(host);
  if (h == "localhost" || (h.size() > 10 && h.ends_with(".localhost"))) return true;
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(h, ec);
  return !ec && addr.is_loopback();
}

struct UrlRules {
  bool httpsUnlessLoopback = false;
  bool allowQuery = true;
};

// "" when `text` is an absolute http(s) URL with a host and no fragment.
std::string urlProblem(std::string_view text, UrlRules rules = {}) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return inQuotes(text) + " is not an absolute URL";
  const auto& u = *parsed;
  const auto scheme = u.scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) {
    return inQuotes(text) + " is not an http(s) URL";
  }
  if (!u.has_authority() || u.encoded_host().empty()) return inQuotes(text) + " has no host";
  if (u.has_userinfo()) return inQuotes(text) + " must not contain user:password@";
  if (u.has_fragment()) return inQuotes(text) + " must not have a #fragment";
  if (!rules.allowQuery && u.has_query()) return inQuotes(text) + " must not have a ?query";
  if (rules.httpsUnlessLoopback && scheme == boost::urls::scheme::http &&
      !isLoopbackHost(u.host_address())) {
    return inQuotes(text) + " must use https (http is allowed only for localhost)";
  }
  return "";
}

// An origin as browsers send it: scheme://host[:port], no path.
std::string originProblem(std::string_view text) {
  if (auto p = urlProblem(text, {.allowQuery = false}); !p.empty()) return p;
  const auto u = *boost::urls::parse_uri(text);
  if (!u.encoded_path().empty() && u.encoded_path() != "/") {
    return inQuotes(text) + " is not an origin (scheme://host[:port], no path)";
  }
  return "";
}

// RFC 1035 host name labels: letters, digits, '-', separated by dots.
bool isDomain(std::string_view d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.') return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const char c = d[i];
    if (c == '.') {
      if (label == 0 || d[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    if (c == '-' && label == 0) return false;
    if (++label > 63) return false;
  }
  return d.back() != '-';
}

bool isEmail(std::string_view e) {
  const auto at = e.rfind('@');
  if (at == std::string_view::npos || at == 0) return false;
  for (char c : e.substr(0, at)) {
    if (std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c)) || c == '@') {
      return false;
    }
  }
  return isDomain(e.substr(at + 1));
}

// RFC 6265 s4.1.1: cookie-name is an RFC 2616 token.
bool isCookieToken(std::string_view name) {
  if (name.empty()) return false;
  constexpr std::string_view kSeparators = "()<>@,;:\\\"/[]?={} \t";
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return c > 0x20 && c < 0x7f && kSeparators.find(c) == std::string_view::npos;
  });
}

// "" when `text` is host:port (IPv6 in brackets), port 0..65535.
std::string listenProblem(std::string_view text) {
  const std::string hint = " (expected host:port like 127.0.0.1:4180 or [::1]:4180)";
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return inQuotes(text) + " is not host:port" + hint;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    boost::system::error_code ec;
    boost::asio::ip::make_address_v6(std::string(host), ec);
    if (ec) {
      return inQuotes(text) + " has an invalid IPv6 address" + hint;
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return inQuotes(text) + " has no port" + hint;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return inQuotes(text) + " is not host:port; write IPv6 addresses in brackets" + hint;
    }
    if (!isDomain(host)) return inQuotes(text) + " has an invalid host" + hint;
  }
  auto p = parseInteger(port);
  if (!p || *p < 0 || *p > 65535 || port.front() == '-' || port.front() == '+') {
    return inQuotes(text) + " has an invalid port" + hint;
  }
  return "";
}

// An IP address or a CIDR block (10.0.0.0/8, fd00::/8).
bool isIpOrCidr(std::string_view text) {
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) return false;
  if (slash == std::string_view::npos) return true;
  const auto bits = text.substr(slash + 1);
  auto n = parseInteger(bits);
  return n && !bits.empty() && bits.front() != '-' && bits.front() != '+' && *n >= 0 &&
         *n <= (addr.is_v4() ? 32 : 128);
}

void checkServer(const ServerSettings& s, Problems& out) {
  if (auto p = listenProblem(s.listen); !p.empty()) out.push_back({"server.listen", p});
  if (!s.public_url.empty()) {
    if (auto p = urlProblem(s.public_url, {.allowQuery = false}); !p.empty()) {
      out.push_back({"server.public_url", p});
    }
  }
  for (const auto& proxy : s.trusted_proxies) {
    if (!isIpOrCidr(proxy)) {
      out.push_back({"server.trusted_proxies", inQuotes(proxy) + " is not an IP address or CIDR"});
    }
  }
  for (const auto& origin : s.allowed_redirect_origins) {
    if (auto p = originProblem(origin); !p.empty()) {
      out.push_back({"server.allowed_redirect_origins", p});
    }
  }
  const bool prefixOk =
      s.path_prefix.empty() || (s.path_prefix.front() == '/' && s.path_prefix.back() != '/' &&
                                std::all_of(s.path_prefix.begin(), s.path_prefix.end(), [](char c) {
                                  return std::isalnum(static_cast<unsigned char>(c)) || c == '/' ||
                                         c == '-' || c == '_' || c == '.' || c == '~';
                                }));
  if (!prefixOk) {
    out.push_back({"server.path_prefix", inQuotes(s.path_prefix) +
                                             " must be empty or a path like /auth (leading "
                                             "slash, no trailing slash)"});
  }
  if (s.threads < 0) out.push_back({"server.threads", "must be 0 (one per core) or more"});
  if (s.max_header_bytes == 0) out.push_back({"server.max_header_bytes", "must be positive"});
  if (s.max_body_bytes == 0) out.push_back({"server.max_body_bytes", "must be positive"});
  if (s.read_timeout.count() <= 0) out.push_back({"server.read_timeout", "must be positive"});
  if (s.idle_timeout.count() <= 0) out.push_back({"server.idle_timeout", "must be positive"});
  if (!oneOf(s.log_format, {"auto", "json", "text"})) {
    out.push_back({"server.log_format",
                   inQuotes(s.log_format) + " is not supported (use json, text or auto)"});
  }
  if (!oneOf(s.log_level, {"trace", "debug", "info", "warn", "error", "critical", "off"})) {
    out.push_back({"server.log_level", inQuotes(s.log_level) +
                                           " is not a log level (use trace, debug, info, warn, "
                                           "error, critical or off)"});
  }
}

// RFC 7518 s3.1 and RFC 8037 s3.1 signature algorithms.
constexpr std::array<std::string_view, 13> kJoseAlgs = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                                        "PS512", "ES256", "ES384", "ES512", "EdDSA",
                                                        "HS256", "HS384", "HS512"};

// Authorize parameters authgate sets itself (state, nonce and PKCE are what bind the
// response to this browser, OIDC Core s3.1.2.1, RFC 7636 s4.3) or that have their own key.
constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kReservedParams = {{
    {"client_id", "provider.client_id"},
    {"redirect_uri", "provider.callback_url"},
    {"response_type", ""},
    {"scope", "provider.scopes"},
    {"state", ""},
    {"nonce", ""},
    {"code_challenge", ""},
    {"code_challenge_method", ""},
    {"response_mode", "provider.response_mode"},
    {"request", ""},
    {"request_uri", ""},
    {"audience", "provider.audience"},
    {"organization", "provider.organization"},
    {"prompt", "provider.prompt"},
    {"max_age", "provider.max_age"},
}};

void checkProvider(const ProviderSettings& p, Problems& out) {
  if (oneOf(toLower(p.type), {"basic", "ldap", "saml"})) {
    out.push_back({"provider.type", inQuotes(p.type) +
                                        " is not an OpenID Connect provider; authgate signs "
                                        "users in through OpenID Connect only"});
  }
  if (p.issuer.empty()) {
    out.push_back({"provider.issuer", "required (e.g. https://TENANT.auth0.com/)"});
  } else if (auto r = urlProblem(p.issuer, {.httpsUnlessLoopback = true, .allowQuery = false});
             !r.empty()) {
    // OpenID Discovery s3: the issuer is an https URL without query or fragment.
    out.push_back({"provider.issuer", r});
  }
  if (!p.discovery_url.empty()) {
    if (auto r = urlProblem(p.discovery_url, {.httpsUnlessLoopback = true}); !r.empty()) {
      out.push_back({"provider.discovery_url", r});
    }
  }
  if (p.client_id.empty()) out.push_back({"provider.client_id", "required"});
  const bool privateKeyJwt = p.client_auth_method == "private_key_jwt";
  const bool tlsClientAuth =
      oneOf(p.client_auth_method, {"tls_client_auth", "self_signed_tls_client_auth"});
  // A file that could not be read is already reported under client_secret_file.
  if (!privateKeyJwt && !tlsClientAuth && p.client_secret.empty() && p.client_secret_file.empty()) {
    out.push_back({"provider.client_secret",
                   "required: authgate is a confidential client (or set "
                   "provider.client_secret_file, or use private_key_jwt or tls_client_auth)"});
  }
  if (!oneOf(p.client_auth_method,
             {"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt",
              "tls_client_auth", "self_signed_tls_client_auth"})) {
    out.push_back({"provider.client_auth_method",
                   inQuotes(p.client_auth_method) +
                       " is not supported (use client_secret_basic, client_secret_post, "
                       "client_secret_jwt, private_key_jwt, tls_client_auth or "
                       "self_signed_tls_client_auth)"});
  }
  // RFC 8705: the certificate and its key come together; tls_client_auth needs them.
  if (p.tls_client_certificate_file.empty() != p.tls_client_key_file.empty()) {
    out.push_back({p.tls_client_key_file.empty() ? "provider.tls_client_key_file"
                                                 : "provider.tls_client_certificate_file",
                   "set provider.tls_client_certificate_file and provider.tls_client_key_file "
                   "together (the PEM certificate and its private key)"});
  } else if (tlsClientAuth && p.tls_client_certificate_file.empty()) {
    out.push_back({"provider.tls_client_certificate_file",
                   "required with " + p.client_auth_method +
                       ": the PEM client certificate (and provider.tls_client_key_file) the "
                       "provider authenticates authgate by"});
  }
  if (!p.dpop && !p.dpop_key_file.empty()) {
    out.push_back({"provider.dpop_key_file", "set, but provider.dpop is false"});
  }
  // RFC 7518 s3.2: an HS256 key is at least as long as the hash output.
  if (p.client_auth_method == "client_secret_jwt" && !p.client_secret.empty() &&
      p.client_secret.reveal().size() < 32) {
    out.push_back({"provider.client_secret",
                   "client_secret_jwt signs with HS256, which needs a secret of at least 32 "
                   "bytes"});
  }
  // Whether the key loads and fits the algorithm is checked where it is parsed
  // (gateway::clientSigningKey): serve refuses to start, check-config reports it.
  if (privateKeyJwt && p.client_private_key_file.empty()) {
    out.push_back({"provider.client_private_key_file",
                   "required with private_key_jwt: the PEM private key whose public key is "
                   "registered at the provider"});
  }
  if (!oneOf(p.client_signing_alg, {"RS256", "PS256", "ES256"})) {
    out.push_back({"provider.client_signing_alg", inQuotes(p.client_signing_alg) +
                                                      " is not supported (use RS256, PS256 or "
                                                      "ES256)"});
  }
  if (!oneOf(p.pushed_authorization_requests, {"auto", "always", "never"})) {
    out.push_back({"provider.pushed_authorization_requests",
                   inQuotes(p.pushed_authorization_requests) +
                       " is not supported (use auto, always or never)"});
  }
  // Whether the key loads is checked where it is parsed (gateway::requestObjectSigningKey).
  if (p.signed_authorize_requests && p.request_object_signing_key_file.empty()) {
    out.push_back({"provider.request_object_signing_key_file",
                   "required with provider.signed_authorize_requests: the PEM private key that "
                   "signs request objects (its own key, not provider.client_private_key_file)"});
  }
  const bool sameKeyFile =
      !p.request_object_signing_key_file.empty() &&
      (p.request_object_signing_key_file == p.client_private_key_file ||
       (!p.request_object_signing_key.empty() &&
        p.request_object_signing_key.reveal() == p.client_private_key.reveal()));
  if (sameKeyFile) {
    out.push_back({"provider.request_object_signing_key_file",
                   "is provider.client_private_key_file: request objects need a key of their "
                   "own (Auth0 refuses one credential for both)"});
  }
  if (!oneOf(p.request_object_signing_alg, {"RS256", "PS256", "ES256"})) {
    out.push_back(
        {"provider.request_object_signing_alg",
         inQuotes(p.request_object_signing_alg) + " is not supported (use RS256, PS256 or ES256)"});
  }
  // OIDC Core s3.1.2.1: without openid it is plain OAuth and there is no ID token.
  if (std::find(p.scopes.begin(), p.scopes.end(), "openid") == p.scopes.end()) {
    out.push_back({"provider.scopes", "must include openid"});
  }
  for (const auto& scope : p.scopes) {
    // RFC 6749 s3.3 scope-token: printable ASCII except space, '"' and '\'.
    const bool ok = !scope.empty() && std::all_of(scope.begin(), scope.end(), [](char c) {
      return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
    });
    if (!ok) out.push_back({"provider.scopes", inQuotes(scope) + " is not a valid scope"});
  }
  if (!p.callback_url.empty()) {
    // RFC 6749 s3.1.2: the redirection endpoint is absolute and has no fragment.
    if (auto r = urlProblem(p.callback_url); !r.empty()) {
      out.push_back({"provider.callback_url", r});
    }
  }
  if (!oneOf(p.response_mode, {"query", "form_post"})) {
    out.push_back({"provider.response_mode",
                   inQuotes(p.response_mode) + " is not supported (use query or form_post)"});
  }
  if (!p.prompt.empty()) {
    std::string_view rest = p.prompt;
    while (!rest.empty()) {
      const auto sp = rest.find(' ');
      const auto word = rest.substr(0, sp);
      if (!word.empty() && !oneOf(word, {"none", "login", "consent", "select_account"})) {
        out.push_back({"provider.prompt",
                       inQuotes(p.prompt) +
                           " is not a prompt value (use none, login, consent or select_account)"});
        break;
      }
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    }
  }
  if (p.max_age < -1) out.push_back({"provider.max_age", "must be -1 (not sent) or more"});
  // A large skew accepts expired tokens; Auth0's SDKs use 60s.
  if (p.clock_skew > Duration{300}) {
    out.push_back(
        {"provider.clock_skew", formatDuration(p.clock_skew) + " is too large (at most 5m)"});
  }
  // The provider mints the ID token during the callback: its age is skew plus network time.
  if (p.max_id_token_age < Duration{10} || p.max_id_token_age > Duration{3600}) {
    out.push_back({"provider.max_id_token_age",
                   formatDuration(p.max_id_token_age) + " is out of range (10s to 1h)"});
  }
  if (p.id_token_algs.empty()) out.push_back({"provider.id_token_algs", "must not be empty"});
  for (const auto& alg : p.id_token_algs) {
    if (toLower(alg) == "none") {
      // OIDC Core s3.1.3.7: an ID token from the token endpoint must be signed.
      out.push_back(
          {"provider.id_token_algs", "\"none\" is never accepted: ID tokens must be signed"});
    } else if (std::find(kJoseAlgs.begin(), kJoseAlgs.end(), alg) == kJoseAlgs.end()) {
      out.push_back({"provider.id_token_algs",
                     inQuotes(alg) +
                         " is not a supported algorithm (use RS256/384/512, PS256/384/512, "
                         "ES256/384/512, EdDSA or HS256/384/512)"});
    }
  }
  for (const auto& [name, value] : p.extra_authorize_params) {
    for (const auto& [reserved, key] : kReservedParams) {
      if (name != reserved) continue;
      out.push_back({"provider.extra_authorize_params",
                     inQuotes(name) + (key.empty() ? std::string(" is set by authgate itself")
                                                   : " has its own key: use " + std::string(key))});
    }
    if (name.empty()) out.push_back({"provider.extra_authorize_params", "empty parameter name"});
  }
  for (const auto& url : p.jwks_urls) {
    if (auto r = urlProblem(url); !r.empty()) out.push_back({"provider.jwks_urls", r});
  }
  if (!p.use_pkce) {
    out.push_back(
        {"provider.use_pkce", "PKCE (S256) is always used (RFC 9700 s2.1.1); remove this setting"});
  }
  if (!p.ca_file.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p.ca_file, ec) || !std::ifstream(p.ca_file)) {
      out.push_back({"provider.ca_file", "cannot read " + inQuotes(p.ca_file)});
    }
  }
  if (p.connect_timeout.count() <= 0)
    out.push_back({"provider.connect_timeout", "must be positive"});
  if (p.http_timeout.count() <= 0) out.push_back({"provider.http_timeout", "must be positive"});
}

// The reason never quotes the URL: it may carry the Redis or PostgreSQL password.
std::string storeProblem(std::string_view store) {
  if (store == "memory") return "";
  if (store.rfind("sqlite:", 0) == 0) {
    return store.size() > 7 ? ""
                            : "sqlite: needs a path, e.g. sqlite:/var/lib/authgate/sessions.db";
  }
  if (store.rfind("redis://", 0) == 0) {
    auto parsed = boost::urls::parse_uri(store);
    const std::string hint = "must look like redis://[user:pass@]host:port/db";
    if (!parsed || parsed->encoded_host().empty() || parsed->has_query() ||
        parsed->has_fragment()) {
      return hint;
    }
    auto path = parsed->encoded_path();
    if (!path.empty() && path != "/") {
      auto db = parseInteger(std::string_view(path).substr(1));
      if (!db || *db < 0 || path[1] == '+') return hint + " (db is a number)";
    }
    return "";
  }
  if (store.rfind("redis-sentinel://", 0) == 0) {
    // The shape only; the session store parses the rest (ports, db, wait parameters)
    // when it opens, and refuses the start on anything else.
    std::string_view rest = store.substr(17);
    rest = rest.substr(0, rest.find('?'));
    rest = rest.substr(rest.rfind('@') == std::string_view::npos ? 0 : rest.rfind('@') + 1);
    const auto slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos || slash + 1 == rest.size() ||
        rest[slash + 1] == '/') {
      return "must look like "
             "redis-sentinel://[user:pass@]host:port[,host:port...]/MASTER_NAME[/db]";
    }
    return "";
  }
  if (store.rfind("postgres://", 0) == 0 || store.rfind("postgresql://", 0) == 0) {
    // The shape only: libpq parses the rest (hosts, parameters such as sslmode) when the
    // store opens, and `authgate check` asks it (cli/config_checks.cc).
    const auto rest = store.substr(store.find("://") + 3);
    if (rest.find_first_of(" \t\r\n") != std::string_view::npos) {
      return "must look like postgres://[user:pass@]host[:port]/db[?sslmode=...]";
    }
    return "";
  }
  return "unknown store (use sqlite:PATH, redis://host:port/db, "
         "redis-sentinel://host:port,.../MASTER_NAME, postgres://host:port/db or memory)";
}

// The keys sealing tokens at rest: base64url (RFC 4648 s5) of 32 bytes (AES-256-GCM).
bool isKey(std::string_view text) {
  auto bytes = core::base64urlDecode(text);
  return bytes && bytes->size() == 32;
}

void checkSession(const SessionSettings& s, Problems& out) {
  if (auto r = storeProblem(s.store); !r.empty()) out.push_back({"session.store", r});
  if (!isCookieToken(s.cookie_name)) {
    out.push_back({"session.cookie_name",
                   inQuotes(s.cookie_name) + " is not a valid cookie name (RFC 6265 s4.1.1)"});
  }
  if (s.idle_timeout.count() <= 0) out.push_back({"session.idle_timeout", "must be positive"});
  if (s.absolute_timeout.count() <= 0) {
    out.push_back({"session.absolute_timeout", "must be positive"});
  }
  if (s.idle_timeout > s.absolute_timeout) {
    out.push_back({"session.idle_timeout", formatDuration(s.idle_timeout) +
                                               " is longer than session.absolute_timeout (" +
                                               formatDuration(s.absolute_timeout) + ")"});
  }
  if (s.max_per_user < 0) out.push_back({"session.max_per_user", "must be 0 (unlimited) or more"});
  if (s.cache_size < 0) out.push_back({"session.cache_size", "must be 0 (no cache) or more"});
  if (s.cache_ttl.count() <= 0) out.push_back({"session.cache_ttl", "must be positive"});
  for (std::size_t i = 0; i < s.encryption_keys.size(); ++i) {
    if (!isKey(s.encryption_keys[i].reveal())) {
      out.push_back({"session.encryption_keys",
                     "key " + std::to_string(i + 1) + " is not 32 bytes in base64url"});
    }
  }
  if (!s.encryption_key_file.empty()) {
    std::error_code ec;
    std::ifstream in(s.encryption_key_file);
    if (std::filesystem::is_directory(s.encryption_key_file, ec) || !in) {
      out.push_back(
          {"session.encryption_key_file", "cannot read " + inQuotes(s.encryption_key_file)});
    } else {
      int keys = 0, lineNo = 0;
      for (std::string line; std::getline(in, line);) {
        ++lineNo;
        const auto t = trim(line);
        if (t.empty() || t.front() == '#') continue;
        ++keys;
        if (!isKey(t)) {
          out.push_back({"session.encryption_key_file",
                         "line " + std::to_string(lineNo) + " is not 32 bytes in base64url"});
        }
      }
      if (keys == 0) out.push_back({"session.encryption_key_file", "has no keys"});
    }
  }
}

void checkLogout(const LogoutSettings& l, Problems& out) {
  if (!oneOf(l.idp_logout, {"auto", "auth0", "oidc", "none"})) {
    out.push_back({"logout.idp_logout",
                   inQuotes(l.idp_logout) + " is not supported (use auto, auth0, oidc or none)"});
  }
  const auto& url = l.post_logout_redirect_url;
  // A path, never "//host" (a network-path reference leaves the site).
  const bool path = !url.empty() && url.front() == '/' && url.rfind("//", 0) != 0 &&
                    url.find('\\') == std::string::npos;
  if (!path && !urlProblem(url).empty()) {
    out.push_back({"logout.post_logout_redirect_url",
                   inQuotes(url) + " must be a path like / or an absolute http(s) URL"});
  }
}

void checkAccess(const AccessSettings& a, Problems& out) {
  for (const auto& d : a.allowed_email_domains) {
    if (!isDomain(d)) {
      out.push_back({"access.allowed_email_domains", inQuotes(d) + " is not a domain name"});
    }
  }
  for (const auto& [key, list] : {std::pair{"access.allowed_emails", &a.allowed_emails},
                                  {"access.admin_emails", &a.admin_emails}}) {
    for (const auto& e : *list) {
      if (!isEmail(e)) out.push_back({key, inQuotes(e) + " is not an email address"});
    }
  }
  if (a.jwt_principal_claims.empty()) {
    out.push_back({"access.jwt_principal_claims", "must name at least one claim"});
  }
  for (const auto& [claim, values] : a.required_claims) {
    if (claim.empty()) out.push_back({"access.required_claims", "empty claim name"});
    if (values.empty()) {
      out.push_back({"access.required_claims", inQuotes(claim) + " lists no accepted values"});
    }
  }
}

void checkUpstream(const UpstreamSettings& u, Problems& out) {
  if (!u.url.empty()) {
    if (auto r = urlProblem(u.url); !r.empty()) out.push_back({"upstream.url", r});
  }
  if (u.timeout.count() <= 0) out.push_back({"upstream.timeout", "must be positive"});
}

void checkApi(const ApiSettings& a, Problems& out) {
  for (const auto& aud : a.audiences) {
    if (aud.empty()) out.push_back({"api.audiences", "empty audience"});
  }
}

}  // namespace

void deriveDefaults(Config& config) {
  auto& p = config.provider;
  const auto& s = config.server;
  if (p.callback_url.empty()) {
    if (!s.public_url.empty() && urlProblem(s.public_url, {.allowQuery = false}).empty()) {
      std::string base = s.public_url;
      while (!base.empty() && base.back() == '/') base.pop_back();
      p.callback_url = base + s.path_prefix + "/callback";
    } else if (s.public_url.empty() && listenProblem(s.listen).empty()) {
      // No public URL: the listen address as seen from this machine.
      const auto colon = s.listen.rfind(':');
      std::string host = s.listen.substr(0, colon);
      if (host == "0.0.0.0" || host == "[::]") host = "localhost";
      p.callback_url = "http://" + host + s.listen.substr(colon) + s.path_prefix + "/callback";
    }
  }
  // OpenID Discovery s4: issuer without its trailing '/' + "/.well-known/openid-configuration".
  if (p.discovery_url.empty() && !p.issuer.empty() &&
      urlProblem(p.issuer, {.httpsUnlessLoopback = true, .allowQuery = false}).empty()) {
    std::string base = p.issuer;
    while (!base.empty() && base.back() == '/') base.pop_back();
    p.discovery_url = base + "/.well-known/openid-configuration";
  }
}

namespace {

// The brand's values, and every template of pages.templates_dir parsed now: a template
// that would fail while serving is refused at start-up (config/pages.h).
void checkPages(const PagesSettings& p, Problems& out) {
  for (const auto& [key, value] : p.brand) {
    std::string why;
    if (key == "logo_url") {
      why = brandLogoProblem(value);
    } else if (key == "color") {
      why = brandColorProblem(value);
    } else if (key == "name") {
      if (value.size() > 100) why = "is longer than 100 characters";
    } else {
      why = "unknown key (name, logo_url, color)";
    }
    if (!why.empty()) out.push_back({"pages.brand." + key, why});
  }
  if (p.templates_dir.empty()) return;
  for (auto& problem : loadPageTemplates(p.templates_dir).problems) {
    out.push_back({"pages.templates_dir", std::move(problem)});
  }
}

}  // namespace

// The lower-cased host of an absolute URL ("" when there is none).
std::string urlHost(std::string_view url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return "";
  return toLower(u->host());
}

// provider.dpop with settings that hand the access token on. The proxy passes a
// DPoP-bound token with a proof made for the request it forwards (docs/PROTOCOL.md
// "DPoP"); /auth/check cannot: the proof must name the exact request, which only the
// proxy in front forwards. So forward auth alone with pass_access_token is refused.
void checkDpop(const Config& c, Problems& out) {
  if (c.provider.dpop && c.upstream.pass_access_token && c.upstream.url.empty() &&
      c.routes.empty()) {
    out.push_back({"upstream.pass_access_token",
                   "cannot be used with provider.dpop for forward auth (/auth/check): a "
                   "DPoP-bound token goes to an upstream only with a proof for the request, "
                   "which authgate makes when it proxies (set upstream.url or routes)"});
  }
}

void checkCompat(const Config& c, Problems& out) {
  if (!oneOf(c.compat.openmetadata_aliases, {"auto", "true", "false"})) {
    out.push_back({"compat.openmetadata_aliases",
                   inQuotes(c.compat.openmetadata_aliases) + " is not auto, true or false"});
  }
  const auto& s = c.server;
  for (const auto& [k, v] : s.tls) {
    if (k != "cert_file" && k != "key_file") {
      out.push_back({"server.tls." + k, "unknown key (cert_file, key_file)"});
    } else if (v.empty()) {
      out.push_back({"server.tls." + k, "is empty"});
    }
  }
  if (!s.tls.empty() && (!s.tls.contains("cert_file") || !s.tls.contains("key_file"))) {
    out.push_back({"server.tls", "needs both cert_file and key_file"});
  }
  const auto& d = s.cookie_domain;
  if (!d.empty()) {
    const bool ok =
        d.front() != '.' && d.find('.') != std::string::npos &&
        std::all_of(d.begin(), d.end(), [](char ch) {
          return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
        });
    if (!ok) {
      out.push_back(
          {"server.cookie_domain",
           inQuotes(d) + " is not a domain like example.com (lower case, no leading dot)"});
    } else if (auto host = urlHost(s.public_url);
               !host.empty() && host != d && !host.ends_with("." + d)) {
      // The browser would refuse the cookie: the callback's host must be inside it.
      out.push_back({"server.cookie_domain",
                     inQuotes(d) + " does not contain public_url's host " + inQuotes(host)});
    }
  }
  // A route for another host only works when the session cookie reaches that host.
  const auto publicHost = urlHost(s.public_url);
  for (std::size_t i = 0; i < c.routes.size(); ++i) {
    const auto& h = c.routes[i].host;
    if (h.empty() || publicHost.empty() || h == publicHost || c.routes[i].is_public) continue;
    if (d.empty() || (h != d && !h.ends_with("." + d))) {
      out.push_back({"routes[" + std::to_string(i) + "].host",
                     inQuotes(h) + " is not " + inQuotes(publicHost) +
                         " (public_url): set server.cookie_domain to a domain holding both, "
                         "so the session cookie reaches it"});
    }
  }
  if (!s.admin_listen.empty() && s.admin_listen == s.listen) {
    out.push_back({"server.admin_listen", "is the same address as server.listen"});
  }
}

std::vector<Problem> validate(const Config& config) {
  Problems out;
  checkServer(config.server, out);
  checkProvider(config.provider, out);
  checkSession(config.session, out);
  checkLogout(config.logout, out);
  checkAccess(config.access, out);
  checkUpstream(config.upstream, out);
  checkDpop(config, out);
  checkApi(config.api, out);
  checkCompat(config, out);
  validateRoutes(config, out);
  checkPages(config.pages, out);
  return out;
}

}  // namespace authgate::config
