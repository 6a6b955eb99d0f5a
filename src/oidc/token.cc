#include "authgate/oidc/token.h"

#include <boost/json/object.hpp>

#include "authgate/core/base64url.h"
#include "authgate/core/codec.h"
#include "authgate/jose/sign.h"
#include "oidc/json_util.h"

namespace authgate::oidc {
namespace {

constexpr std::size_t kMaxErrorText = 256;

std::string cleanText(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxErrorText)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

// Adds client authentication (RFC 6749 s2.3.1, OIDC Core s9) to a request whose body
// params are given.
Result<TokenEndpointRequest> withClientAuth(std::string_view url, const RelyingPartyOptions& rp,
                                            core::Params params, const ClientAuthFreshness& fresh) {
  TokenEndpointRequest req;
  req.url = std::string(url);
  switch (rp.client_auth_method) {
    case ClientAuthMethod::kClientSecretBasic:
      req.authorization = basicAuthorization(rp.client_id, rp.client_secret);
      break;
    case ClientAuthMethod::kClientSecretPost:
      params.emplace_back("client_id", rp.client_id);
      params.emplace_back("client_secret", rp.client_secret.reveal());
      break;
    case ClientAuthMethod::kTlsClientAuth:
    case ClientAuthMethod::kSelfSignedTlsClientAuth:
      // RFC 8705 s2: the TLS client certificate authenticates; client_id is REQUIRED.
      params.emplace_back("client_id", rp.client_id);
      break;
    case ClientAuthMethod::kClientSecretJwt:
    case ClientAuthMethod::kPrivateKeyJwt: {
      auto assertion = buildClientAssertion(rp, fresh);
      if (!assertion) return assertion.error();
      // RFC 7523 s2.2; client_id too, which RFC 6749 s3.2.1 allows and Auth0 accepts.
      params.emplace_back("client_id", rp.client_id);
      params.emplace_back("client_assertion_type", std::string(kJwtBearerAssertionType));
      params.emplace_back("client_assertion", assertion->reveal());
      break;
    }
  }
  req.body = core::Secret(core::formEncode(params));
  return req;
}

bool isSuccess(int status) { return status >= 200 && status < 300; }

}  // namespace

ClientAuthFreshness freshClientAuth(const core::Clock& clock, core::Random& random) {
  return {.now = clock.unixSeconds(), .jti = random.token(24)};
}

Result<core::Secret> buildClientAssertion(const RelyingPartyOptions& rp,
                                          const ClientAuthFreshness& fresh) {
  boost::json::object claims;
  claims["iss"] = rp.client_id;
  claims["sub"] = rp.client_id;
  claims["aud"] = rp.issuer;
  claims["jti"] = fresh.jti;
  claims["iat"] = fresh.now;
  claims["exp"] = fresh.now + kClientAssertionLifetime;
  if (fresh.jti.empty()) return Errc::kClientAssertionFailed;
  const bool privateKey = rp.client_auth_method == ClientAuthMethod::kPrivateKeyJwt;
  if (!privateKey && rp.client_auth_method != ClientAuthMethod::kClientSecretJwt) {
    return Errc::kUnsupportedClientAuth;
  }
  if (privateKey && !rp.client_key) return Errc::kClientAssertionFailed;
  auto jwt = privateKey ? jose::signCompactJws(*rp.client_key, {}, claims)
                        : jose::signCompactJwsHs256(rp.client_secret.reveal(), {}, claims);
  if (!jwt) return Errc::kClientAssertionFailed;
  return core::Secret(std::move(*jwt));
}

core::Secret basicAuthorization(std::string_view clientId, const core::Secret& secret) {
  // RFC 6749 s2.3.1: "The client identifier is encoded using the
  // application/x-www-form-urlencoded encoding algorithm ... and the encoded value is used
  // as the username; the client password is encoded using the same algorithm".
  // percentEncode leaves only unreserved characters raw, which every server decodes back.
  std::string userPass = core::percentEncode(clientId) + ":" + core::percentEncode(secret.reveal());
  return core::Secret("Basic " + core::base64Encode(userPass));
}

Result<TokenEndpointRequest> buildClientAuthenticatedPost(std::string_view url,
                                                          const RelyingPartyOptions& rp,
                                                          core::Params params,
                                                          const ClientAuthFreshness& fresh) {
  // Every method but client_secret_basic puts client_id in the body itself.
  if (rp.client_auth_method != ClientAuthMethod::kClientSecretBasic) {
    std::erase_if(params, [](const auto& p) { return p.first == "client_id"; });
  }
  return withClientAuth(url, rp, std::move(params), fresh);
}

Result<TokenEndpointRequest> buildCodeExchangeRequest(std::string_view tokenEndpoint,
                                                      const RelyingPartyOptions& rp,
                                                      const AuthorizationCode& code,
                                                      const LoginTransaction& txn,
                                                      const ClientAuthFreshness& fresh) {
  core::Params p{
      {"grant_type", "authorization_code"},
      {"code", code.code.reveal()},
      // RFC 6749 s4.1.3: REQUIRED when it was in the authorization request; it was.
      {"redirect_uri", txn.redirect_uri},
      {"code_verifier", txn.code_verifier.reveal()},
  };
  return withClientAuth(tokenEndpoint, rp, std::move(p), fresh);
}

Result<TokenEndpointRequest> buildCredentialProbeRequest(
    std::string_view tokenEndpoint, const RelyingPartyOptions& rp, std::string redirectUri,
    core::Secret impossibleCode, core::Secret codeVerifier, const ClientAuthFreshness& fresh) {
  LoginTransaction txn;
  txn.redirect_uri = std::move(redirectUri);
  txn.code_verifier = std::move(codeVerifier);
  AuthorizationCode code;
  code.code = std::move(impossibleCode);
  return buildCodeExchangeRequest(tokenEndpoint, rp, code, txn, fresh);
}

std::string describeTokenEndpointFailure(int httpStatus, std::string_view body,
                                         std::initializer_list<std::string_view> secrets) {
  std::string out = "HTTP " + std::to_string(httpStatus);
  auto e = parseOAuthError(httpStatus, body);
  if (!e) return out + " (no OAuth error body)";
  out += " " + e->error;
  if (!e->error_description.empty()) out += " \"" + e->error_description + "\"";
  for (auto secret : secrets) {
    if (secret.size() < 4) continue;  // too short to tell from ordinary text
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at)) {
      out.replace(at, secret.size(), "[redacted]");
    }
  }
  return out;
}

CredentialProbeResult classifyCredentialProbe(int httpStatus, std::string_view body) {
  CredentialProbeResult r;
  r.error = parseOAuthError(httpStatus, body);
  const std::string code = r.error ? r.error->error : "";
  if (code == "invalid_grant") {
    r.outcome = CredentialProbe::kAccepted;
  } else if (code == "invalid_client" || (httpStatus == 401 && code.empty())) {
    r.outcome = CredentialProbe::kRefused;
  } else if (code == "unauthorized_client") {
    r.outcome = CredentialProbe::kGrantNotAllowed;
  } else if (httpStatus == 429 || httpStatus >= 500) {
    r.outcome = CredentialProbe::kUnavailable;
  } else if (httpStatus == 401) {
    r.outcome = CredentialProbe::kRefused;  // 401 with another code: still our credentials
  }
  return r;
}

Result<TokenEndpointRequest> buildRefreshRequest(std::string_view tokenEndpoint,
                                                 const RelyingPartyOptions& rp,
                                                 const core::Secret& refreshToken,
                                                 const ClientAuthFreshness& fresh) {
  core::Params p{{"grant_type", "refresh_token"}, {"refresh_token", refreshToken.reveal()}};
  return withClientAuth(tokenEndpoint, rp, std::move(p), fresh);
}

Result<TokenEndpointRequest> buildRevocationRequest(std::string_view revocationEndpoint,
                                                    const RelyingPartyOptions& rp,
                                                    const core::Secret& refreshToken,
                                                    const ClientAuthFreshness& fresh) {
  core::Params p{{"token", refreshToken.reveal()}, {"token_type_hint", "refresh_token"}};
  return withClientAuth(revocationEndpoint, rp, std::move(p), fresh);
}

std::optional<OAuthError> parseOAuthError(int httpStatus, std::string_view body) {
  auto o = detail::parseObject(body);
  if (!o) return std::nullopt;
  auto error = detail::getString(*o, "error");
  if (!error) return std::nullopt;
  OAuthError e;
  e.error = cleanText(*error);
  e.error_description = cleanText(detail::getString(*o, "error_description").value_or(""));
  e.http_status = httpStatus;
  return e;
}

Result<TokenResponse> parseTokenResponse(int httpStatus, std::string_view body, Grant grant,
                                         const core::Clock& clock, TokenBinding binding) {
  if (!isSuccess(httpStatus)) {
    auto e = parseOAuthError(httpStatus, body);
    // RFC 6749 s5.2: invalid_grant = the code or refresh token is invalid, expired,
    // revoked or reused. Auth0 sends it with 403 for refresh tokens, 400/401 elsewhere.
    if (e && e->error == "invalid_grant") return Errc::kInvalidGrant;
    if ((e && e->error == "invalid_client") || (!e && httpStatus == 401)) {
      return Errc::kInvalidClient;
    }
    if (httpStatus == 429 || httpStatus >= 500) return Errc::kTokenEndpointUnavailable;
    return Errc::kTokenEndpointRejected;
  }
  auto o = detail::parseObject(body);
  if (!o) return Errc::kBadTokenResponse;
  // A 200 carrying an error object is still an error (some proxies rewrite statuses).
  if (o->contains("error")) {
    auto e = detail::getString(*o, "error");
    if (e && *e == "invalid_grant") return Errc::kInvalidGrant;
    if (e && *e == "invalid_client") return Errc::kInvalidClient;
    return Errc::kTokenEndpointRejected;
  }
  auto access = detail::getString(*o, "access_token");
  if (detail::hasNonString(*o, "access_token")) return Errc::kBadTokenResponse;
  if (!access || access->empty()) return Errc::kMissingAccessToken;
  // RFC 6749 s5.1 + s7.1: token_type is REQUIRED and case-insensitive. authgate uses
  // Bearer tokens (RFC 6750), or with provider.dpop only DPoP-bound ones (RFC 9449 s5).
  auto type = detail::getString(*o, "token_type");
  if (!type) return Errc::kBadTokenType;
  if (binding == TokenBinding::kDpop) {
    if (detail::iequals(*type, "Bearer")) return Errc::kDpopNotBound;
    if (!detail::iequals(*type, "DPoP")) return Errc::kBadTokenType;
  } else if (!detail::iequals(*type, "Bearer")) {
    return Errc::kBadTokenType;
  }
  // expires_in is RECOMMENDED in RFC 6749 but the product needs it to schedule refresh and
  // Auth0 always sends it: require a positive integer.
  auto expiresIn = detail::getInt(*o, "expires_in");
  // The upper bound (10 years) only keeps the expiry arithmetic from overflowing.
  if (!expiresIn || *expiresIn <= 0 || *expiresIn > 315'360'000) return Errc::kBadExpiresIn;
  if (detail::hasNonString(*o, "id_token") || detail::hasNonString(*o, "refresh_token") ||
      detail::hasNonString(*o, "scope")) {
    return Errc::kBadTokenResponse;
  }
  auto idToken = detail::getString(*o, "id_token");
  // OIDC Core s3.1.3.3: the code exchange of an OpenID request MUST return an ID token.
  // A refresh MAY (s12.2), so it is optional there.
  if (grant == Grant::kAuthorizationCode && (!idToken || idToken->empty())) {
    return Errc::kMissingIdToken;
  }
  TokenResponse r;
  r.tokens.accessToken = core::Secret(std::move(*access));
  r.tokens.accessTokenExpiresAt = clock.unixSeconds() + *expiresIn;
  if (idToken) r.tokens.idToken = core::Secret(std::move(*idToken));
  if (auto rt = detail::getString(*o, "refresh_token"); rt && !rt->empty()) {
    r.tokens.refreshToken = core::Secret(std::move(*rt));
  }
  r.tokenType = std::move(*type);
  r.expiresIn = *expiresIn;
  r.scope = detail::getString(*o, "scope");
  return r;
}

Result<void> checkRevocationResponse(int httpStatus, std::string_view /*body*/) {
  // RFC 7009 s2.2: 200 whether or not the token was still valid.
  if (httpStatus == 200) return {};
  if (httpStatus == 429 || httpStatus >= 500) return Errc::kTokenEndpointUnavailable;
  return Errc::kTokenEndpointRejected;
}

}  // namespace authgate::oidc
