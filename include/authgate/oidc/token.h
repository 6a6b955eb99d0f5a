// Step 3: the token endpoint (RFC 6749 s4.1.3, s5.1, s5.2, s6; OIDC Core s3.1.3.3) and
// revocation (RFC 7009). Requests are built as values for the HTTP client; responses are
// parsed from (status, body). Nothing here ever puts a token or secret in an error.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "authgate/core/clock.h"
#include "authgate/core/random.h"
#include "authgate/core/secret.h"
#include "authgate/core/token_set.h"
#include "authgate/oidc/authorize.h"
#include "authgate/oidc/callback.h"
#include "authgate/oidc/errc.h"
#include "authgate/oidc/options.h"

namespace authgate::oidc {

// One POST to send. `authorization` and `body` carry credentials: never log them.
struct TokenEndpointRequest {
  std::string url;
  std::string content_type = "application/x-www-form-urlencoded";
  std::string accept = "application/json";
  core::Secret authorization;  // "Basic ..." for client_secret_basic, else empty
  core::Secret body;           // form-urlencoded
};

// RFC 6749 s2.3.1: client_id and secret are each form-urlencoded, joined by ':', then
// base64 encoded. Returns the full header value "Basic <b64>".
core::Secret basicAuthorization(std::string_view clientId, const core::Secret& secret);

// What a client assertion needs from outside (values in): the time and a fresh jti.
struct ClientAuthFreshness {
  std::int64_t now = 0;  // unix seconds: iat, and exp = now + kClientAssertionLifetime
  std::string jti;       // unique per assertion (RFC 7523 s3 item 7)
};
// now from `clock`, jti of 192 random bits (32 base64url characters; Auth0 allows 64).
ClientAuthFreshness freshClientAuth(const core::Clock& clock, core::Random& random);

// A client assertion lives one minute (Auth0 allows at most five and recommends one).
inline constexpr std::int64_t kClientAssertionLifetime = 60;
inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// The client assertion of OIDC Core s9 and RFC 7523 s3 for private_key_jwt (signed with
// rp.client_key) or client_secret_jwt (HS256 over rp.client_secret): iss = sub =
// client_id, aud = rp.issuer (docs/PROTOCOL.md "Client authentication" says why the
// issuer and not the token endpoint), jti, iat, exp. kClientAssertionFailed when the key
// or secret is missing or signing fails; kUnsupportedClientAuth for a secret method.
Result<core::Secret> buildClientAssertion(const RelyingPartyOptions& rp,
                                          const ClientAuthFreshness& fresh);

// A POST of `params` to `url` with the client authentication of rp.client_auth_method,
// as at the token endpoint (the PAR endpoint takes the same: RFC 9126 s2.1). A
// `client_id` in `params` is dropped when the authentication carries its own.
Result<TokenEndpointRequest> buildClientAuthenticatedPost(std::string_view url,
                                                          const RelyingPartyOptions& rp,
                                                          core::Params params,
                                                          const ClientAuthFreshness& fresh);

// grant_type=authorization_code, code, redirect_uri, code_verifier (RFC 7636 s4.5).
// Each builder adds the client authentication of rp.client_auth_method; only the JWT
// methods use `fresh`, and only they can fail (kClientAssertionFailed).
Result<TokenEndpointRequest> buildCodeExchangeRequest(std::string_view tokenEndpoint,
                                                      const RelyingPartyOptions& rp,
                                                      const AuthorizationCode& code,
                                                      const LoginTransaction& txn,
                                                      const ClientAuthFreshness& fresh);
// grant_type=refresh_token (RFC 6749 s6). `scope` omitted: same as originally granted.
Result<TokenEndpointRequest> buildRefreshRequest(std::string_view tokenEndpoint,
                                                 const RelyingPartyOptions& rp,
                                                 const core::Secret& refreshToken,
                                                 const ClientAuthFreshness& fresh);
// RFC 7009 s2.1: token + token_type_hint=refresh_token, client authenticated.
Result<TokenEndpointRequest> buildRevocationRequest(std::string_view revocationEndpoint,
                                                    const RelyingPartyOptions& rp,
                                                    const core::Secret& refreshToken,
                                                    const ClientAuthFreshness& fresh);

enum class Grant { kAuthorizationCode, kRefreshToken };

// A successful token response (RFC 6749 s5.1). The tokens are the one core::TokenSet a
// session keeps (moved there, not copied field by field); the rest is what only the
// response says.
struct TokenResponse {
  // accessToken always; accessTokenExpiresAt = now + expiresIn; refreshToken empty
  // when none was sent; idToken empty only for a refresh without a new one.
  core::TokenSet tokens;
  std::string tokenType;             // "Bearer" (or "DPoP") as sent
  std::int64_t expiresIn = 0;        // seconds
  std::optional<std::string> scope;  // granted scope when it differs (s5.1)
};

// An OAuth error response (RFC 6749 s5.2). Provider text, size-capped, control characters
// removed. `error` is one of the registered codes or the provider's own.
struct OAuthError {
  std::string error;
  std::string error_description;
  int http_status = 0;
};

// Parses a token endpoint response.
//  2xx:  JSON object (kBadTokenResponse), access_token (kMissingAccessToken), token_type
//        Bearer case-insensitively (RFC 6749 s7.1, kBadTokenType), expires_in a positive
//        integer (kBadExpiresIn), id_token for the code grant (OIDC Core s3.1.3.3,
//        kMissingIdToken), refresh_token optional.
//  errors: invalid_grant -> kInvalidGrant (Auth0 answers 403 for dead refresh tokens);
//        invalid_client, or 401 without another code -> kInvalidClient (RFC 6749 s5.2: the
//        client secret, id or auth method is wrong);
//        429 or 5xx -> kTokenEndpointUnavailable (retry later, keep the session);
//        other -> kTokenEndpointRejected.
//  binding kDpop (provider.dpop, RFC 9449 s5): token_type must be DPoP; a Bearer token
//        is kDpopNotBound (the provider ignored the proof: the token is not
//        sender-constrained, so it is refused rather than kept). kBearer refuses DPoP.
enum class TokenBinding { kBearer, kDpop };
Result<TokenResponse> parseTokenResponse(int httpStatus, std::string_view body, Grant grant,
                                         const core::Clock& clock,
                                         TokenBinding binding = TokenBinding::kBearer);
// The error details of a non-2xx response, when the body is an OAuth error object.
std::optional<OAuthError> parseOAuthError(int httpStatus, std::string_view body);

// One log line's worth of a failed token-endpoint answer: `HTTP 401 invalid_client
// "Client authentication failed"` (the provider's error code and description, size-capped
// and without control characters), or `HTTP 502 (no OAuth error body)`. Each of
// `secrets` (the code, the verifier, the client secret, a refresh token) that the
// provider echoed is replaced by [redacted], so nothing sent can reach a log.
std::string describeTokenEndpointFailure(int httpStatus, std::string_view body,
                                         std::initializer_list<std::string_view> secrets);

// check-config's credential probe: a code exchange with a code that cannot exist. The
// provider authenticates the client before it looks the code up (RFC 6749 s4.1.3), so
// invalid_grant means the credentials were accepted, invalid_client (or 401) that they
// were not, unauthorized_client that the application may not use this grant.
// `impossibleCode` and `codeVerifier` come from the caller's randomness.
Result<TokenEndpointRequest> buildCredentialProbeRequest(
    std::string_view tokenEndpoint, const RelyingPartyOptions& rp, std::string redirectUri,
    core::Secret impossibleCode, core::Secret codeVerifier, const ClientAuthFreshness& fresh);
enum class CredentialProbe {
  kAccepted,         // invalid_grant
  kRefused,          // invalid_client or 401
  kGrantNotAllowed,  // unauthorized_client
  kUnavailable,      // 429 or 5xx
  kInconclusive,     // anything else (a 2xx, another error, no OAuth error body)
};
struct CredentialProbeResult {
  CredentialProbe outcome = CredentialProbe::kInconclusive;
  std::optional<OAuthError> error;  // the provider's code and description, when sent
};
CredentialProbeResult classifyCredentialProbe(int httpStatus, std::string_view body);

// RFC 7009 s2.2: 200 means revoked (or already invalid). 503 -> kTokenEndpointUnavailable.
Result<void> checkRevocationResponse(int httpStatus, std::string_view body);

}  // namespace authgate::oidc
