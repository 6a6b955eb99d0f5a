#include "authgate/oidc/authorize.h"

#include <array>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "authgate/core/base64url.h"
#include "authgate/core/codec.h"
#include "authgate/core/crypto.h"
#include "oidc/json_util.h"

namespace authgate::oidc {
namespace {

constexpr std::array<std::string_view, 16> kReserved = {
    "client_id",     "redirect_uri",  "response_type",  "scope",
    "state",         "nonce",         "code_challenge", "code_challenge_method",
    "response_mode", "max_age",       "organization",   "request",
    "request_uri",   "client_secret", "code_verifier",  "id_token_hint"};

std::string joinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (s.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += s;
  }
  return out;
}

}  // namespace

bool isReservedAuthorizeParam(std::string_view name) {
  for (auto r : kReserved) {
    if (detail::iequals(r, name)) return true;
  }
  return false;
}

Result<void> validateRelyingPartyOptions(const RelyingPartyOptions& rp) {
  if (rp.issuer.empty() || rp.client_id.empty()) return Errc::kInvalidOptions;
  auto u = boost::urls::parse_absolute_uri(rp.redirect_uri);
  if (!u || !u->has_authority() || u->encoded_host().empty()) return Errc::kInvalidOptions;
  if (!detail::iequals(u->scheme(), "https") && !detail::iequals(u->scheme(), "http")) {
    return Errc::kInvalidOptions;
  }
  // RFC 6749 s3.1.2: the redirection endpoint URI MUST NOT include a fragment.
  if (u->has_fragment()) return Errc::kInvalidOptions;
  bool hasOpenid = false;
  for (const auto& s : rp.scopes) {
    if (s == "openid") hasOpenid = true;
    if (s.find_first_of(" \t\r\n\"\\") != std::string::npos) return Errc::kInvalidOptions;
  }
  // OIDC Core s3.1.2.1: without "openid" this is plain OAuth and no ID token comes back.
  if (!hasOpenid) return Errc::kInvalidOptions;
  if (rp.max_age && *rp.max_age < 0) return Errc::kInvalidOptions;
  for (const auto& [k, v] : rp.extra_authorize_params) {
    if (isReservedAuthorizeParam(k)) return Errc::kReservedExtraParam;
  }
  return {};
}

std::string transactionCookieName(bool https) {
  return https ? "__Host-" + std::string(kTransactionCookieName)
               : std::string(kTransactionCookieName);
}

core::SetCookie transactionCookie(std::string_view bindingValue, ResponseMode mode, bool https,
                                  std::chrono::seconds ttl) {
  core::SetCookie c;
  c.name = transactionCookieName(https);
  c.value = std::string(bindingValue);
  c.path = "/";  // both /auth/callback and OpenMetadata's /callback must receive it
  c.maxAgeSeconds = ttl.count();
  c.secure = https;
  c.httpOnly = true;
  // Browsers drop SameSite=None without Secure, so on plain http stay Lax (loopback tests:
  // provider and gateway on 127.0.0.1 are same-site, ports do not count).
  c.sameSite = (mode == ResponseMode::kFormPost && https) ? "None" : "Lax";
  return c;
}

std::string newBrowserBinding(core::Random& random) { return random.token(32); }

std::string browserBindingHash(std::string_view bindingCookieValue) {
  return core::sha256Hex(bindingCookieValue);
}

bool browserBindingMatches(const LoginTransaction& txn, std::string_view bindingCookieValue) {
  if (bindingCookieValue.empty() || txn.browser_binding_hash.empty()) return false;
  return core::constantTimeEqual(browserBindingHash(bindingCookieValue), txn.browser_binding_hash);
}

std::string transactionStoreKey(std::string_view state) { return "txn:" + core::sha256Hex(state); }

std::string pkceChallengeS256(std::string_view codeVerifier) {
  auto d = core::sha256(codeVerifier);
  return core::base64urlEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

LoginTransaction createLoginTransaction(const RelyingPartyOptions& rp, std::string returnTo,
                                        std::string_view browserBinding, const core::Clock& clock,
                                        core::Random& random) {
  LoginTransaction t;
  // 32 bytes -> 256 bits of entropy: RFC 6749 s10.10 asks for >= 128 (2^-128 guessing),
  // RFC 7636 s7.1 recommends 32 octets for the verifier (43 base64url chars).
  t.state = core::Secret(random.token(32));
  t.nonce = core::Secret(random.token(32));
  t.code_verifier = core::Secret(random.token(32));
  t.return_to = std::move(returnTo);
  t.redirect_uri = rp.redirect_uri;
  t.browser_binding_hash = browserBindingHash(browserBinding);
  t.created_at = clock.unixSeconds();
  t.max_age = rp.max_age;
  t.response_mode = rp.response_mode;
  return t;
}

AuthorizeParams authorizeParams(const RelyingPartyOptions& rp, const LoginTransaction& txn,
                                const AuthorizeHints& hints) {
  AuthorizeParams out;
  core::Params& params = out.params;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!v.empty()) params.emplace_back(std::string(k), std::string(v));
  };
  add("client_id", rp.client_id);
  add("redirect_uri", txn.redirect_uri);
  add("response_type", "code");
  add("scope", joinScopes(rp.scopes));
  add("state", txn.state.reveal());
  add("nonce", txn.nonce.reveal());
  add("code_challenge", pkceChallengeS256(txn.code_verifier.reveal()));
  add("code_challenge_method", "S256");
  // query is the default for response_type=code (OAuth 2.0 Multiple Response Types s5);
  // only form_post needs to be said.
  if (txn.response_mode == ResponseMode::kFormPost) add("response_mode", "form_post");
  add("audience", rp.audience);
  add("organization", rp.organization);
  add("prompt", hints.prompt.empty() ? rp.prompt : hints.prompt);
  if (txn.max_age) add("max_age", std::to_string(*txn.max_age));
  add("login_hint", hints.login_hint);
  add("screen_hint", hints.screen_hint);
  add("ui_locales", hints.ui_locales.empty() ? rp.ui_locales : hints.ui_locales);
  add("connection", hints.connection.empty() ? rp.connection : hints.connection);
  out.first_extra = params.size();
  for (const auto& [k, v] : rp.extra_authorize_params) {
    bool alreadySent = false;
    for (const auto& p : params) {
      if (detail::iequals(p.first, k)) alreadySent = true;
    }
    if (isReservedAuthorizeParam(k) || alreadySent) {
      out.ignored_params.push_back(k);
      continue;
    }
    add(k, v);
  }
  return out;
}

std::string authorizationUrl(std::string_view authorizationEndpoint, const core::Params& params) {
  // OIDC Core s3.1.2.1: the endpoint may carry its own query; append to it.
  // Percent-encode everything but unreserved characters ourselves: a '+' left raw in a
  // query is read as a space by form decoders.
  std::string query(authorizationEndpoint);
  auto hash = query.find('#');
  if (hash != std::string::npos) query.resize(hash);
  query += query.find('?') == std::string::npos ? '?' : '&';
  if (query.back() == '&' && query[query.size() - 2] == '?') query.pop_back();
  return query + core::formEncode(params);
}

AuthorizationRequest buildAuthorizationRequest(std::string_view authorizationEndpoint,
                                               const RelyingPartyOptions& rp,
                                               const LoginTransaction& txn,
                                               const AuthorizeHints& hints) {
  auto built = authorizeParams(rp, txn, hints);
  AuthorizationRequest out;
  out.url = authorizationUrl(authorizationEndpoint, built.params);
  out.ignored_params = std::move(built.ignored_params);
  return out;
}

std::string serializeTransaction(const LoginTransaction& txn) {
  boost::json::object o;
  o["v"] = 1;
  o["st"] = txn.state.reveal();
  o["no"] = txn.nonce.reveal();
  o["cv"] = txn.code_verifier.reveal();
  o["rt"] = txn.return_to;
  o["ru"] = txn.redirect_uri;
  o["bb"] = txn.browser_binding_hash;
  o["ca"] = txn.created_at;
  if (txn.max_age) o["ma"] = *txn.max_age;
  o["rm"] = std::string(responseModeName(txn.response_mode));
  return boost::json::serialize(o);
}

Result<LoginTransaction> parseTransaction(std::string_view bytes) {
  auto o = detail::parseObject(bytes);
  if (!o) return Errc::kBadTransaction;
  if (detail::getInt(*o, "v") != 1) return Errc::kBadTransaction;
  auto st = detail::getString(*o, "st");
  auto no = detail::getString(*o, "no");
  auto cv = detail::getString(*o, "cv");
  auto rt = detail::getString(*o, "rt");
  auto ru = detail::getString(*o, "ru");
  auto bb = detail::getString(*o, "bb");
  auto ca = detail::getInt(*o, "ca");
  auto rm = detail::getString(*o, "rm");
  if (!st || !no || !cv || !rt || !ru || !bb || !ca || !rm) return Errc::kBadTransaction;
  if (st->empty() || no->empty() || cv->size() < 43 || cv->size() > 128) {
    return Errc::kBadTransaction;
  }
  auto mode = parseResponseMode(*rm);
  if (!mode) return Errc::kBadTransaction;
  LoginTransaction t;
  t.state = core::Secret(std::move(*st));
  t.nonce = core::Secret(std::move(*no));
  t.code_verifier = core::Secret(std::move(*cv));
  t.return_to = std::move(*rt);
  t.redirect_uri = std::move(*ru);
  t.browser_binding_hash = std::move(*bb);
  t.created_at = *ca;
  if (o->contains("ma")) {
    auto ma = detail::getInt(*o, "ma");
    if (!ma || *ma < 0) return Errc::kBadTransaction;
    t.max_age = *ma;
  }
  t.response_mode = *mode;
  return t;
}

bool isTransactionExpired(const LoginTransaction& txn, const core::Clock& clock,
                          std::chrono::seconds ttl) {
  std::int64_t now = clock.unixSeconds();
  if (txn.created_at > now + 60) return true;
  return txn.created_at + ttl.count() <= now;
}

}  // namespace authgate::oidc
