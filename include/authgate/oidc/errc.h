// Error codes of the oidc module: one code per protocol check, so metrics, audit
// events and error pages can say exactly which rule failed without echoing the
// request's data (tokens, codes, claim values never appear in a name or a message).
#pragma once

#include "authgate/core/error.h"

namespace authgate::oidc {

enum class Errc {
  kOk = 0,
  // discovery (OIDC Discovery 1.0 s3, s4.3)
  kBadDiscoveryDocument,  // not a JSON object
  kMissingRequiredField,  // issuer, authorization/token endpoint or jwks_uri absent
  kIssuerMismatch,        // discovery issuer != configured issuer (exact)
  kMalformedEndpoint,     // endpoint URL not an absolute http(s) URL
  kInsecureEndpoint,      // http on a non-loopback host
  kCodeFlowNotSupported,  // response_types_supported lacks "code"
  // relying-party options / authorize request
  kInvalidOptions,      // client_id, redirect_uri or scope missing / malformed
  kReservedExtraParam,  // an extra authorize param would override a protocol param
  kBadTransaction,      // stored login transaction does not parse
  // callback (RFC 6749 s4.1.2, RFC 9207)
  kProviderError,      // the provider answered with error=...
  kBadCallbackParams,  // malformed or duplicated parameters
  kMissingState,
  kStateMismatch,
  kBrowserBindingMismatch,  // the transaction belongs to another browser
  kTransactionExpired,
  kMissingIssuerParam,   // RFC 9207: provider advertises iss but did not send it
  kIssuerParamMismatch,  // RFC 9207: iss != issuer
  kMissingCode,
  kCodeTooLarge,
  // token endpoint (RFC 6749 s5.1, s5.2)
  kUnsupportedClientAuth,
  kClientAssertionFailed,  // private_key_jwt / client_secret_jwt: no key, or signing failed
  kBadTokenResponse,       // not JSON / not an object / wrong field types
  kMissingAccessToken,
  kMissingIdToken,
  kBadTokenType,              // token_type is not Bearer (or DPoP with provider.dpop)
  kDpopNotBound,              // provider.dpop: the provider answered token_type Bearer
  kDpopProofFailed,           // a DPoP proof could not be built (URL, key, signing)
  kBadExpiresIn,              // expires_in missing, not a positive integer
  kInvalidGrant,              // error=invalid_grant (code or refresh token dead)
  kTokenEndpointRejected,     // other OAuth error response (4xx)
  kTokenEndpointUnavailable,  // 5xx or 429: retry later, keep the session
  // ID token additions (OIDC Core s3.1.3.7, s3.1.3.6, s12.2; Auth0 Organizations)
  kMissingOrgId,
  kOrgMismatch,
  kAtHashMismatch,
  kUnsupportedAtHashAlg,
  kSubjectChanged,  // refreshed ID token names another user
  kIssuerChanged,
  kAudienceChanged,
  kAuthorizedPartyChanged,
  kBadIdTokenClaims,  // sub missing or not a string after JOSE verification
  // userinfo (OIDC Core s5.3.2)
  kBadUserinfo,
  kUserinfoSubjectMismatch,
  // access rules
  kEmailMissing,
  kEmailDomainNotAllowed,
  kEmailNotAllowed,
  kEmailNotVerified,
  kRequiredClaimMissing,
  kRequiredClaimMismatch,
  kMissingScope,
  kMissingPermission,
  // return_to / post-logout redirect
  // (signature, iss, aud, exp, iat, nonce, auth_time failures keep their jose::Errc codes)
  kUnsafeReturnTo,
  kReturnToOriginNotAllowed,
  // logout (RP-Initiated Logout 1.0, Back-Channel Logout 1.0 s2.4, s2.6)
  kNoLogoutEndpoint,
  kMissingLogoutEvent,
  kMissingSubAndSid,
  kLogoutTokenHasNonce,
  kMissingJti,
  kBadLogoutTokenType,
  kMissingIat,
  kLogoutTokenTooOld,
  kLogoutTokenFromFuture,  // iat later than now + clock skew
  // token endpoint, continued
  kInvalidClient,  // error=invalid_client or 401: the provider refused our client credentials
  // ID token at the callback, continued
  kIdTokenTooOld,  // iat older than provider.max_id_token_age (OIDC Core s3.1.3.7 item 10)
  // Pushed Authorization Requests (RFC 9126) and request objects (RFC 9101)
  kParNotAdvertised,     // pushed_authorization_requests: always, and discovery has no endpoint
  kBadParResponse,       // a 2xx that is not {request_uri, expires_in} within the limits
  kParRejected,          // the PAR endpoint answered an OAuth error (4xx)
  kParUnavailable,       // the PAR endpoint answered 429 or 5xx
  kRequestObjectFailed,  // no request-object key, or signing failed
};

}  // namespace authgate::oidc

namespace authgate::core {
template <>
struct ErrcTraits<oidc::Errc> {
  static constexpr const char* kCategory = "authgate.oidc";
  static std::string_view name(oidc::Errc e);
  static std::string_view message(oidc::Errc e);
};
}  // namespace authgate::core

AUTHGATE_ERRC(authgate::oidc)
