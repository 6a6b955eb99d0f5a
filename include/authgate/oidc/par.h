// Step 1, hardened: Pushed Authorization Requests (RFC 9126) and JWT-secured
// authorization requests (RFC 9101). The authorize parameters of authorize.h either go
// to the provider's PAR endpoint on the back channel (client-authenticated as at the
// token endpoint) and the browser only carries client_id and the request_uri it got
// back, or they travel inside a request object signed with the request-object key, or
// both (the signed object pushed by value). Values in, values out: the POST is sent and
// the browser redirected by the gateway.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "authgate/core/codec.h"
#include "authgate/core/secret.h"
#include "authgate/oidc/authorize.h"
#include "authgate/oidc/discovery.h"
#include "authgate/oidc/errc.h"
#include "authgate/oidc/options.h"
#include "authgate/oidc/token.h"

namespace authgate::oidc {

// Whether this login pushes its parameters (docs/PROTOCOL.md "Pushed Authorization
// Requests"): never -> false; always -> true, kParNotAdvertised when discovery has no
// pushed_authorization_request_endpoint; auto -> true whenever discovery names the
// endpoint (whether or not require_pushed_authorization_requests is set).
Result<bool> usePushedAuthorization(ParMode mode, const ProviderMetadata& m);

// A request object lives one minute: it is made for a redirect that follows at once,
// and a captured one is worth little (FAPI 2.0 allows at most 60 minutes).
inline constexpr std::int64_t kRequestObjectLifetime = 60;
inline constexpr std::string_view kRequestObjectType = "oauth-authz-req+jwt";

// Auth0 accepts custom authorize parameters at its PAR endpoint only as "ext-" + name.
// The configured extra params (from AuthorizeParams::first_extra) get the prefix unless
// they already have it or are parameters Auth0 itself reads (invitation, acr_values,
// ...). Nothing changes when rp.auth0_issuer is false.
core::Params withAuth0ExtPrefix(const AuthorizeParams& built, const RelyingPartyOptions& rp);

// The request object of RFC 9101 s4 signed with rp.request_object_key: every authorize
// parameter as a claim (max_age as a number, OIDC Core s6.1), and iss = client_id, aud =
// rp.issuer, iat = nbf = fresh.now, exp = now + kRequestObjectLifetime, jti = fresh.jti;
// header typ oauth-authz-req+jwt, alg and kid from the key. kRequestObjectFailed
// without a key, a jti, or when signing fails.
Result<core::Secret> buildRequestObject(const RelyingPartyOptions& rp, const core::Params& params,
                                        const ClientAuthFreshness& fresh);

// JAR without PAR (RFC 9101 s5.1): the URL carries the request object by value as
// `request`, plus client_id, response_type and scope, which OIDC Core s6.1 still wants
// outside it (the provider uses only the signed values).
Result<AuthorizationRequest> buildSignedAuthorizationRequest(std::string_view authorizationEndpoint,
                                                             const RelyingPartyOptions& rp,
                                                             const LoginTransaction& txn,
                                                             const AuthorizeHints& hints,
                                                             const ClientAuthFreshness& fresh);

// The POST of RFC 9126 s2.1 to the PAR endpoint: the authorize parameters as form
// fields (Auth0's ext- prefix applied), or with rp.signed_authorize_requests only the
// request object (`request`, RFC 9126 s3); and the client authentication of the token
// endpoint (`clientAuth`: its assertion's iat and jti; `requestObject`: the request
// object's). The body carries credentials: never log it.
Result<TokenEndpointRequest> buildPushedAuthorizationRequest(
    std::string_view parEndpoint, const RelyingPartyOptions& rp, const LoginTransaction& txn,
    const AuthorizeHints& hints, const ClientAuthFreshness& clientAuth,
    const ClientAuthFreshness& requestObject);

struct PushedAuthorization {
  std::string request_uri;  // single use, short-lived
  std::int64_t expires_in = 0;
};

// Size limits of a PAR response: the body and the request_uri in it.
inline constexpr std::size_t kMaxParResponseBytes = 16 * 1024;
inline constexpr std::size_t kMaxRequestUriBytes = 1024;
inline constexpr std::int64_t kMaxParExpiresIn = 3600;

// Parses the PAR endpoint's answer (RFC 9126 s2.2, s2.3).
//  201 (or 200): a JSON object of at most kMaxParResponseBytes with request_uri a string
//        of 1..kMaxRequestUriBytes visible ASCII characters forming an absolute URI
//        (urn:ietf:params:oauth:request_uri:...), and expires_in an integer in
//        1..kMaxParExpiresIn; anything else kBadParResponse.
//  errors: invalid_client, or 401 without another code -> kInvalidClient; 429 or 5xx ->
//        kParUnavailable; other -> kParRejected (parseOAuthError gives the details).
Result<PushedAuthorization> parsePushedAuthorizationResponse(int httpStatus, std::string_view body);

// The browser's redirect after a push (RFC 9126 s4): only client_id and request_uri.
std::string pushedAuthorizationUrl(std::string_view authorizationEndpoint,
                                   const RelyingPartyOptions& rp,
                                   const PushedAuthorization& pushed);

}  // namespace authgate::oidc
