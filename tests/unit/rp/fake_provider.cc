#include "fake_provider.h"

#include <openssl/evp.h>

#include <boost/json/serialize.hpp>

#include "authgate/core/base64url.h"
#include "authgate/core/random.h"

namespace authgate::rp::fake {

namespace jt = jose::testing;

namespace {

HttpResponse json(long status, const boost::json::object& body) {
  HttpResponse r;
  r.status = status;
  r.headers = {{"content-type", "application/json"}, {"cache-control", "no-store"}};
  r.body = boost::json::serialize(body);
  return r;
}

HttpResponse oauthError(long status, std::string_view error, std::string_view description) {
  return json(status, {{"error", error}, {"error_description", description}});
}

std::string param(const core::Params& p, std::string_view name) {
  return core::findParam(p, name).value_or("");
}

std::string header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (core::asciiIEquals(k, name)) return v;
  }
  return {};
}

std::string sha256(std::string_view in) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(in.data(), in.size(), md, &n, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), n);
}

std::string opaque(std::string_view prefix) {
  return std::string(prefix) + core::OpenSslRandom::instance().token(24);
}

}  // namespace

const jt::TestKey& providerKey() {
  static const jt::TestKey key = jt::makeRsaKey(2048, "op-key-1");
  return key;
}

const jt::TestKey& foreignKey() {
  static const jt::TestKey key = jt::makeRsaKey(2048, "rogue-1");
  return key;
}

core::Params queryOf(std::string_view url) {
  const auto q = url.find('?');
  if (q == std::string_view::npos) return {};
  auto decoded = core::formDecode(url.substr(q + 1));
  return decoded ? *decoded : core::Params{};
}

std::string s256(std::string_view verifier) { return core::base64urlEncode(sha256(verifier)); }

// Decoded with OpenSSL, not with the library under test.
std::optional<std::pair<std::string, std::string>> basicCredentials(std::string_view value) {
  constexpr std::string_view kScheme = "Basic ";
  if (!value.starts_with(kScheme)) return std::nullopt;
  std::string b64(value.substr(kScheme.size()));
  if (b64.empty() || b64.size() % 4 != 0) return std::nullopt;
  std::string raw(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  for (size_t i = b64.size(); i > 0 && b64[i - 1] == '='; --i) --len;  // padding
  raw.resize(len);
  const auto colon = raw.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto user = core::percentDecode(raw.substr(0, colon));
  auto pass = core::percentDecode(raw.substr(colon + 1));
  if (!user || !pass) return std::nullopt;
  return std::make_pair(*user, *pass);
}

Provider::Provider(const core::Clock& clock, ProviderConfig config)
    : clock_(clock), config_(std::move(config)), key_(providerKey()) {}

void Provider::editNextIdToken(std::function<void(boost::json::object&)> edit) {
  std::lock_guard lock(mu_);
  editIdToken_ = std::move(edit);
}

void Provider::setReachable(bool reachable) {
  std::lock_guard lock(mu_);
  reachable_ = reachable;
}

void Provider::endGrantsOf(const std::string& sub) {
  std::lock_guard lock(mu_);
  for (auto& [token, grant] : refreshTokens_) {
    if (grant.user.sub == sub) grant.live = false;
  }
}

std::string Provider::sign(const boost::json::object& claims, const jt::TestKey* key,
                           std::string_view typ) const {
  const auto& k = key ? *key : key_;
  boost::json::object header{{"alg", "RS256"}, {"typ", typ}, {"kid", k.jwk.at("kid")}};
  return jt::signCompact(jose::Alg::kRS256, k.pkey.get(), jt::jsonText(header),
                         jt::jsonText(claims));
}

std::vector<Received> Provider::requests() const {
  std::lock_guard lock(mu_);
  return received_;
}

std::vector<Received> Provider::tokenRequests(std::string_view grantType) const {
  std::vector<Received> out;
  for (auto& r : requests()) {
    if (r.url == endpoint("oauth/token") && param(r.form, "grant_type") == grantType) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<Received> Provider::revocations() const {
  std::vector<Received> out;
  for (auto& r : requests()) {
    if (r.url == endpoint("oauth/revoke")) out.push_back(std::move(r));
  }
  return out;
}

bool Provider::refreshTokenLive(const std::string& token) const {
  std::lock_guard lock(mu_);
  auto it = refreshTokens_.find(token);
  return it != refreshTokens_.end() && it->second.live;
}

core::Params Provider::authorize(std::string_view location, const User& user) {
  const auto p = queryOf(location);
  const std::string state = param(p, "state");
  auto refuse = [&](std::string_view why) {
    return core::Params{
        {"error", "invalid_request"}, {"error_description", std::string(why)}, {"state", state}};
  };
  if (!location.starts_with(endpoint("authorize") + "?")) return refuse("not the authorize URL");
  if (param(p, "response_type") != "code") return refuse("response_type must be code");
  if (param(p, "client_id") != config_.clientId) return refuse("unknown client");
  if (param(p, "redirect_uri") != config_.redirectUri) return refuse("redirect_uri not registered");
  if (param(p, "scope").find("openid") == std::string::npos) return refuse("scope lacks openid");
  if (state.empty() || param(p, "nonce").empty()) return refuse("state and nonce required");
  if (param(p, "code_challenge_method") != "S256" || param(p, "code_challenge").size() != 43) {
    return refuse("PKCE S256 required");
  }
  std::lock_guard lock(mu_);
  const std::string code = opaque("code-");
  codes_[code] = Code{config_.clientId,
                      config_.redirectUri,
                      param(p, "code_challenge"),
                      param(p, "nonce"),
                      user,
                      clock_.unixSeconds(),
                      false};
  return {{"code", code}, {"state", state}, {"iss", config_.issuer}};
}

Result<HttpResponse> Provider::send(const HttpRequest& request) {
  Received r{request.method, request.url, header(request.headers, "authorization"), {}};
  if (request.method == "POST") {
    auto form = core::formDecode(request.body);
    if (form) r.form = std::move(*form);
  }
  {
    std::lock_guard lock(mu_);
    received_.push_back(r);
    if (!reachable_) return make_error_code(Errc::kConnectFailed);
  }
  if (request.method == "GET" && r.url == endpoint(".well-known/openid-configuration")) {
    return discovery();
  }
  if (request.method == "GET" && r.url == endpoint(".well-known/jwks.json")) {
    HttpResponse res;
    res.status = 200;
    res.headers = {{"content-type", "application/json"}, {"cache-control", "max-age=600"}};
    res.body = jt::jwksOf({&key_.jwk});
    return res;
  }
  if (request.method == "POST" && r.url == endpoint("oauth/token")) return token(r);
  if (request.method == "GET" && r.url == endpoint("userinfo")) return userinfo(r);
  if (request.method == "POST" && r.url == endpoint("oauth/revoke")) return revocation(r);
  return json(404, {{"error", "not_found"}});
}

HttpResponse Provider::discovery() const {
  const auto& i = config_.issuer;
  boost::json::object md{
      {"issuer", i},
      {"authorization_endpoint", i + "authorize"},
      {"token_endpoint", i + "oauth/token"},
      {"jwks_uri", i + ".well-known/jwks.json"},
      {"userinfo_endpoint", i + "userinfo"},
      {"revocation_endpoint", i + "oauth/revoke"},
      {"end_session_endpoint", i + "oidc/logout"},
      {"response_types_supported", boost::json::array{"code"}},
      {"id_token_signing_alg_values_supported", boost::json::array{"RS256"}},
      {"code_challenge_methods_supported", boost::json::array{"S256"}},
      {"token_endpoint_auth_methods_supported",
       boost::json::array{"client_secret_basic", "client_secret_post"}},
      {"backchannel_logout_supported", true},
      {"backchannel_logout_session_supported", true},
  };
  return json(200, md);
}

bool Provider::clientAuthenticated(const Received& r) const {
  if (!r.authorization.empty()) {
    auto creds = basicCredentials(r.authorization);
    return creds && creds->first == config_.clientId && creds->second == config_.clientSecret;
  }
  return param(r.form, "client_id") == config_.clientId &&
         param(r.form, "client_secret") == config_.clientSecret;
}

HttpResponse Provider::token(const Received& r) {
  if (!clientAuthenticated(r)) return oauthError(401, "invalid_client", "client authentication");
  const std::string grant = param(r.form, "grant_type");
  std::unique_lock lock(mu_);
  if (grant == "authorization_code") {
    auto it = codes_.find(param(r.form, "code"));
    if (it == codes_.end()) return oauthError(400, "invalid_grant", "unknown code");
    Code& c = it->second;
    if (c.redeemed) return oauthError(400, "invalid_grant", "code already used");
    c.redeemed = true;  // spent whatever follows (RFC 6749 s4.1.2)
    if (clock_.unixSeconds() > c.issuedAt + config_.codeLifetime) {
      return oauthError(400, "invalid_grant", "code expired");
    }
    if (c.clientId != config_.clientId || param(r.form, "redirect_uri") != c.redirectUri) {
      return oauthError(400, "invalid_grant", "redirect_uri mismatch");
    }
    const std::string verifier = param(r.form, "code_verifier");
    if (verifier.size() < 43 || s256(verifier) != c.challenge) {
      return oauthError(400, "invalid_grant", "PKCE verification failed");
    }
    return issue(c.user, c.nonce);
  }
  if (grant == "refresh_token") {
    auto it = refreshTokens_.find(param(r.form, "refresh_token"));
    if (it == refreshTokens_.end() || !it->second.live) {
      return oauthError(400, "invalid_grant", "unknown or invalid refresh token");
    }
    it->second.live = false;  // rotation: the old one is spent
    const User user = it->second.user;
    return issue(user, std::nullopt);
  }
  return oauthError(400, "unsupported_grant_type", "grant_type");
}

// Under mu_.
HttpResponse Provider::issue(const User& user, const std::optional<std::string>& nonce) {
  const auto now = clock_.unixSeconds();
  ++issued_;
  const std::string at = opaque("at-" + std::to_string(issued_) + "-");
  const std::string rt = opaque("rt-" + std::to_string(issued_) + "-");
  accessTokens_[at] = user;
  refreshTokens_[rt] = Grant{user, true};
  boost::json::object body{{"access_token", at},
                           {"token_type", "Bearer"},
                           {"expires_in", config_.accessTokenLifetime},
                           {"refresh_token", rt},
                           {"scope", "openid profile email offline_access"}};
  if (nonce) {
    const auto hash = sha256(at);
    boost::json::object claims{{"iss", config_.issuer},
                               {"sub", user.sub},
                               {"aud", config_.clientId},
                               {"iat", now},
                               {"exp", now + 3600},
                               {"auth_time", now},
                               {"nonce", *nonce},
                               {"sid", user.sid},
                               {"email", user.email},
                               {"email_verified", true},
                               {"at_hash", core::base64urlEncode(hash.substr(0, hash.size() / 2))}};
    if (editIdToken_) {
      editIdToken_(claims);
      editIdToken_ = nullptr;
    }
    body["id_token"] = sign(claims);
  }
  return json(200, body);
}

HttpResponse Provider::userinfo(const Received& r) {
  constexpr std::string_view kBearer = "Bearer ";
  std::lock_guard lock(mu_);
  auto it = r.authorization.starts_with(kBearer)
                ? accessTokens_.find(r.authorization.substr(kBearer.size()))
                : accessTokens_.end();
  if (it == accessTokens_.end()) return oauthError(401, "invalid_token", "access token");
  // The profile only: the email comes from the ID token.
  return json(200, {{"sub", it->second.sub}, {"name", it->second.name}});
}

HttpResponse Provider::revocation(const Received& r) {
  if (!clientAuthenticated(r)) return oauthError(401, "invalid_client", "client authentication");
  std::lock_guard lock(mu_);
  // RFC 7009 s2.2: 200 whether or not the token was valid.
  if (auto it = refreshTokens_.find(param(r.form, "token")); it != refreshTokens_.end()) {
    it->second.live = false;
  }
  HttpResponse res;
  res.status = 200;
  return res;
}

}  // namespace authgate::rp::fake
