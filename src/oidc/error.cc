#include "authgate/oidc/errc.h"

namespace authgate::core {

std::string_view ErrcTraits<oidc::Errc>::name(oidc::Errc e) {
  using E = oidc::Errc;
  switch (e) {
    case E::kOk:
      return "ok";
    case E::kBadDiscoveryDocument:
      return "bad_discovery_document";
    case E::kMissingRequiredField:
      return "missing_required_field";
    case E::kIssuerMismatch:
      return "issuer_mismatch";
    case E::kMalformedEndpoint:
      return "malformed_endpoint";
    case E::kInsecureEndpoint:
      return "insecure_endpoint";
    case E::kCodeFlowNotSupported:
      return "code_flow_not_supported";
    case E::kInvalidOptions:
      return "invalid_options";
    case E::kReservedExtraParam:
      return "reserved_extra_param";
    case E::kBadTransaction:
      return "bad_transaction";
    case E::kProviderError:
      return "provider_error";
    case E::kBadCallbackParams:
      return "bad_callback_params";
    case E::kMissingState:
      return "missing_state";
    case E::kStateMismatch:
      return "state_mismatch";
    case E::kBrowserBindingMismatch:
      return "browser_binding_mismatch";
    case E::kTransactionExpired:
      return "transaction_expired";
    case E::kMissingIssuerParam:
      return "missing_issuer_param";
    case E::kIssuerParamMismatch:
      return "issuer_param_mismatch";
    case E::kMissingCode:
      return "missing_code";
    case E::kCodeTooLarge:
      return "code_too_large";
    case E::kUnsupportedClientAuth:
      return "unsupported_client_auth";
    case E::kClientAssertionFailed:
      return "client_assertion_failed";
    case E::kBadTokenResponse:
      return "bad_token_response";
    case E::kMissingAccessToken:
      return "missing_access_token";
    case E::kMissingIdToken:
      return "missing_id_token";
    case E::kBadTokenType:
      return "bad_token_type";
    case E::kDpopNotBound:
      return "dpop_not_bound";
    case E::kDpopProofFailed:
      return "dpop_proof_failed";
    case E::kBadExpiresIn:
      return "bad_expires_in";
    case E::kInvalidGrant:
      return "invalid_grant";
    case E::kTokenEndpointRejected:
      return "token_endpoint_rejected";
    case E::kInvalidClient:
      return "invalid_client";
    case E::kTokenEndpointUnavailable:
      return "token_endpoint_unavailable";
    case E::kMissingOrgId:
      return "missing_org_id";
    case E::kOrgMismatch:
      return "org_mismatch";
    case E::kAtHashMismatch:
      return "at_hash_mismatch";
    case E::kUnsupportedAtHashAlg:
      return "unsupported_at_hash_alg";
    case E::kSubjectChanged:
      return "subject_changed";
    case E::kIssuerChanged:
      return "issuer_changed";
    case E::kAudienceChanged:
      return "audience_changed";
    case E::kAuthorizedPartyChanged:
      return "authorized_party_changed";
    case E::kBadIdTokenClaims:
      return "bad_id_token_claims";
    case E::kBadUserinfo:
      return "bad_userinfo";
    case E::kUserinfoSubjectMismatch:
      return "userinfo_subject_mismatch";
    case E::kEmailMissing:
      return "email_missing";
    case E::kEmailDomainNotAllowed:
      return "email_domain_not_allowed";
    case E::kEmailNotAllowed:
      return "email_not_allowed";
    case E::kEmailNotVerified:
      return "email_not_verified";
    case E::kRequiredClaimMissing:
      return "required_claim_missing";
    case E::kRequiredClaimMismatch:
      return "required_claim_mismatch";
    case E::kMissingScope:
      return "missing_scope";
    case E::kMissingPermission:
      return "missing_permission";
    case E::kUnsafeReturnTo:
      return "unsafe_return_to";
    case E::kReturnToOriginNotAllowed:
      return "return_to_origin_not_allowed";
    case E::kNoLogoutEndpoint:
      return "no_logout_endpoint";
    case E::kMissingLogoutEvent:
      return "missing_logout_event";
    case E::kMissingSubAndSid:
      return "missing_sub_and_sid";
    case E::kLogoutTokenHasNonce:
      return "logout_token_has_nonce";
    case E::kMissingJti:
      return "missing_jti";
    case E::kBadLogoutTokenType:
      return "bad_logout_token_type";
    case E::kMissingIat:
      return "missing_iat";
    case E::kLogoutTokenTooOld:
      return "logout_token_too_old";
    case E::kIdTokenTooOld:
      return "id_token_too_old";
    case E::kParNotAdvertised:
      return "par_not_advertised";
    case E::kBadParResponse:
      return "bad_par_response";
    case E::kParRejected:
      return "par_rejected";
    case E::kParUnavailable:
      return "par_unavailable";
    case E::kRequestObjectFailed:
      return "request_object_failed";
    case E::kLogoutTokenFromFuture:
      return "logout_token_from_future";
  }
  return "unknown";
}

std::string_view ErrcTraits<oidc::Errc>::message(oidc::Errc e) {
  using E = oidc::Errc;
  switch (e) {
    case E::kOk:
      return "ok";
    case E::kBadDiscoveryDocument:
      return "the discovery document is not a JSON object";
    case E::kMissingRequiredField:
      return "the discovery document lacks a required field";
    case E::kIssuerMismatch:
      return "the discovery issuer does not exactly equal the configured issuer";
    case E::kMalformedEndpoint:
      return "an endpoint URL in the discovery document is malformed";
    case E::kInsecureEndpoint:
      return "an endpoint URL uses http on a non-loopback host";
    case E::kCodeFlowNotSupported:
      return "the provider does not list response_type code";
    case E::kInvalidOptions:
      return "the relying-party options are incomplete or malformed";
    case E::kReservedExtraParam:
      return "an extra authorize parameter would override a protocol parameter";
    case E::kBadTransaction:
      return "the stored login transaction is malformed";
    case E::kProviderError:
      return "the provider returned an error to the callback";
    case E::kBadCallbackParams:
      return "the callback parameters are malformed or repeated";
    case E::kMissingState:
      return "the callback has no state parameter";
    case E::kStateMismatch:
      return "the callback state does not match the login transaction";
    case E::kBrowserBindingMismatch:
      return "the login transaction was started by another browser";
    case E::kTransactionExpired:
      return "the login transaction has expired";
    case E::kMissingIssuerParam:
      return "the provider sends iss in authorization responses but this one has none";
    case E::kIssuerParamMismatch:
      return "the callback iss parameter does not equal the issuer";
    case E::kMissingCode:
      return "the callback has no authorization code";
    case E::kCodeTooLarge:
      return "the authorization code exceeds the size limit";
    case E::kUnsupportedClientAuth:
      return "the client authentication method is not supported";
    case E::kClientAssertionFailed:
      return "the client assertion could not be signed (no usable client key or secret)";
    case E::kBadTokenResponse:
      return "the token endpoint response is not a valid JSON token response";
    case E::kMissingAccessToken:
      return "the token response has no access_token";
    case E::kMissingIdToken:
      return "the token response has no id_token";
    case E::kBadTokenType:
      return "the token response token_type is not Bearer (or DPoP when DPoP is on)";
    case E::kDpopNotBound:
      return "DPoP is required but the provider issued a Bearer token";
    case E::kDpopProofFailed:
      return "a DPoP proof could not be built";
    case E::kBadExpiresIn:
      return "the token response expires_in is missing or not a positive integer";
    case E::kInvalidGrant:
      return "the provider rejected the grant (invalid_grant)";
    case E::kTokenEndpointRejected:
      return "the token endpoint rejected the request";
    case E::kInvalidClient:
      return "the provider refused authgate's client credentials (invalid_client)";
    case E::kTokenEndpointUnavailable:
      return "the token endpoint is unavailable or rate limiting";
    case E::kMissingOrgId:
      return "the ID token has no org_id but an organization is configured";
    case E::kOrgMismatch:
      return "the ID token organization does not match the configured organization";
    case E::kAtHashMismatch:
      return "the ID token at_hash does not match the access token";
    case E::kUnsupportedAtHashAlg:
      return "the ID token algorithm has no known at_hash hash";
    case E::kSubjectChanged:
      return "the refreshed ID token names a different subject";
    case E::kIssuerChanged:
      return "the refreshed ID token has a different issuer";
    case E::kAudienceChanged:
      return "the refreshed ID token has a different audience";
    case E::kAuthorizedPartyChanged:
      return "the refreshed ID token has a different azp";
    case E::kBadIdTokenClaims:
      return "the ID token has no string sub";
    case E::kBadUserinfo:
      return "the userinfo response is not a JSON object with a sub";
    case E::kUserinfoSubjectMismatch:
      return "the userinfo sub does not equal the ID token sub";
    case E::kEmailMissing:
      return "the identity has no email but an email rule is configured";
    case E::kEmailDomainNotAllowed:
      return "the email domain is not allowed";
    case E::kEmailNotAllowed:
      return "the email is not allowed";
    case E::kEmailNotVerified:
      return "the email is not verified";
    case E::kRequiredClaimMissing:
      return "a required claim is missing";
    case E::kRequiredClaimMismatch:
      return "a required claim has none of the accepted values";
    case E::kMissingScope:
      return "the access token lacks a required scope";
    case E::kMissingPermission:
      return "the access token lacks a required permission";
    case E::kUnsafeReturnTo:
      return "the redirect target is not a safe relative path";
    case E::kReturnToOriginNotAllowed:
      return "the redirect target origin is not allowed";
    case E::kNoLogoutEndpoint:
      return "the provider has no logout endpoint";
    case E::kMissingLogoutEvent:
      return "the logout token has no back-channel logout event";
    case E::kMissingSubAndSid:
      return "the logout token has neither sub nor sid";
    case E::kLogoutTokenHasNonce:
      return "the logout token contains a nonce";
    case E::kMissingJti:
      return "the logout token has no jti";
    case E::kBadLogoutTokenType:
      return "the logout token typ is not JWT or logout+jwt";
    case E::kMissingIat:
      return "the logout token has no iat";
    case E::kLogoutTokenTooOld:
      return "the logout token was issued too long ago";
    case E::kLogoutTokenFromFuture:
      return "the logout token was issued in the future";
    case E::kIdTokenTooOld:
      return "the ID token was issued too long ago for a sign-in that just happened";
    case E::kParNotAdvertised:
      return "pushed authorization requests are required by the settings but the provider's "
             "discovery has no pushed_authorization_request_endpoint";
    case E::kBadParResponse:
      return "the pushed authorization response is not a request_uri with a positive "
             "expires_in";
    case E::kParRejected:
      return "the pushed authorization request endpoint rejected the request";
    case E::kParUnavailable:
      return "the pushed authorization request endpoint is unavailable or rate limiting";
    case E::kRequestObjectFailed:
      return "the request object could not be signed (no key, or signing failed)";
  }
  return "unknown error";
}

}  // namespace authgate::core
