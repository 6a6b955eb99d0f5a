// OpenID Provider metadata (OIDC Discovery 1.0 s3) parsed and validated against the
// configured issuer, plus the derived choices authgate makes from it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/errc.h"
#include "authgate/oidc/errc.h"
#include "authgate/oidc/options.h"

namespace authgate::oidc {

struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string userinfo_endpoint;     // "" when absent
  std::string end_session_endpoint;  // "" when absent
  std::string revocation_endpoint;   // "" when absent
  std::vector<std::string> response_types_supported;
  std::vector<std::string> response_modes_supported;
  std::vector<std::string> code_challenge_methods_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> id_token_signing_alg_values_supported;
  std::vector<std::string> scopes_supported;
  bool authorization_response_iss_parameter_supported = false;  // RFC 9207 s3
  bool backchannel_logout_supported = false;
  bool backchannel_logout_session_supported = false;
  // RFC 9126 s5: "" when absent; require_... says the provider accepts only pushed
  // requests. RFC 9101 s10.5 / OIDC Discovery: request objects.
  std::string pushed_authorization_request_endpoint;
  bool require_pushed_authorization_requests = false;
  std::vector<std::string> request_object_signing_alg_values_supported;
  bool require_signed_request_object = false;
  // RFC 8705 s5: endpoint name -> the URL to use with a TLS client certificate. Each
  // value passed checkEndpointUrl.
  std::map<std::string, std::string> mtls_endpoint_aliases;
};

// The metadata a client with a TLS client certificate uses (RFC 8705 s5): the token,
// revocation, UserInfo and PAR endpoints replaced by their mtls_endpoint_aliases where
// the provider names one; everything else unchanged.
ProviderMetadata withMtlsEndpointAliases(ProviderMetadata m);

// issuer + ".well-known/openid-configuration" with exactly one '/' between them
// (OIDC Discovery s4: "/.well-known/openid-configuration" appended to the issuer after
// removing a trailing '/').
std::string discoveryUrl(std::string_view issuer);

// Parses and validates the discovery JSON:
//  - issuer equals expectedIssuer byte for byte (s4.3) -> kIssuerMismatch;
//  - issuer, authorization_endpoint, token_endpoint, jwks_uri present -> kMissingRequiredField;
//  - every endpoint an absolute URL -> kMalformedEndpoint, https unless loopback ->
//  kInsecureEndpoint;
//  - response_types_supported (when present) contains "code" -> kCodeFlowNotSupported;
//  - mtls_endpoint_aliases (when present) an object of endpoint URLs -> kMalformedEndpoint.
Result<ProviderMetadata> parseProviderMetadata(std::string_view json,
                                               std::string_view expectedIssuer);

// Checks one endpoint URL: absolute http(s), a host, no userinfo, no fragment, and https
// unless the host is loopback (127.0.0.0/8, ::1, localhost).
Result<void> checkEndpointUrl(std::string_view url);
bool isLoopbackHost(std::string_view host);

// Warnings for `authgate discover` / check-config: human sentences, no secrets.
std::vector<std::string> discoveryWarnings(const ProviderMetadata& m,
                                           const RelyingPartyOptions& rp);

enum class LogoutStyle { kAuth0, kOidc, kNone };
// idpLogout is logout.idp_logout: "auto" (Auth0 host -> kAuth0, else end_session_endpoint
// -> kOidc, else kNone), "auth0", "oidc" (kNone when there is no end_session_endpoint),
// or "none".
LogoutStyle chooseLogoutStyle(std::string_view idpLogout, const ProviderMetadata& m);
std::string_view logoutStyleName(LogoutStyle s);
// True for Auth0's own tenant hosts: *.auth0.com (incl. regional *.eu.auth0.com ...).
bool isAuth0Host(std::string_view host);

}  // namespace authgate::oidc
