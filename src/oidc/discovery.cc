#include "authgate/oidc/discovery.h"

#include <algorithm>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>

#include "authgate/jose/sign.h"
#include "oidc/json_util.h"

namespace authgate::oidc {
namespace {

bool contains(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string issuerHost(const ProviderMetadata& m) {
  auto u = boost::urls::parse_absolute_uri(m.issuer);
  return u ? std::string(u->encoded_host()) : std::string();
}

}  // namespace

std::string discoveryUrl(std::string_view issuer) {
  std::string out(issuer);
  while (!out.empty() && out.back() == '/') out.pop_back();
  out += "/.well-known/openid-configuration";
  return out;
}

bool isLoopbackHost(std::string_view host) {
  if (detail::iequals(host, "localhost")) return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (auto v4 = boost::urls::parse_ipv4_address(host)) return v4->is_loopback();
  if (auto v6 = boost::urls::parse_ipv6_address(host)) return v6->is_loopback();
  return false;
}

Result<void> checkEndpointUrl(std::string_view url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return Errc::kMalformedEndpoint;
  bool https = detail::iequals(u->scheme(), "https");
  bool http = detail::iequals(u->scheme(), "http");
  if (!https && !http) return Errc::kMalformedEndpoint;
  if (!u->has_authority() || u->encoded_host().empty()) return Errc::kMalformedEndpoint;
  // Credentials in an endpoint URL would be sent to whoever the host is; a fragment is
  // meaningless for a server endpoint (RFC 6749 s3.1).
  if (u->has_userinfo() || u->has_fragment()) return Errc::kMalformedEndpoint;
  if (u->encoded_host().find('%') != std::string_view::npos) return Errc::kMalformedEndpoint;
  if (u->host_type() == boost::urls::host_type::ipvfuture) return Errc::kMalformedEndpoint;
  if (u->has_port() && u->port().empty()) return Errc::kMalformedEndpoint;
  // OIDC Discovery s3 / RFC 6749 s3.1, s3.2: endpoints MUST use TLS. Loopback is the one
  // exception, for local providers in tests and demos (traffic never leaves the host).
  if (http && !isLoopbackHost(u->encoded_host())) return Errc::kInsecureEndpoint;
  return {};
}

Result<ProviderMetadata> parseProviderMetadata(std::string_view json,
                                               std::string_view expectedIssuer) {
  auto obj = detail::parseObject(json);
  if (!obj) return Errc::kBadDiscoveryDocument;
  ProviderMetadata m;
  auto issuer = detail::getString(*obj, "issuer");
  if (!issuer || issuer->empty()) return Errc::kMissingRequiredField;
  // OIDC Discovery s4.3: the issuer MUST be identical to the one used to build the
  // discovery URL; no normalisation (Auth0's ends in '/', the ID token's iss will too).
  if (*issuer != expectedIssuer) return Errc::kIssuerMismatch;
  if (auto r = checkEndpointUrl(*issuer); !r) return r.error();
  // Discovery s3: the issuer is a URL "with no query or fragment components".
  if (boost::urls::parse_absolute_uri(*issuer)->has_query()) return Errc::kMalformedEndpoint;
  m.issuer = *issuer;

  struct Field {
    const char* name;
    std::string* out;
    bool required;
  };
  const Field fields[] = {
      {"authorization_endpoint", &m.authorization_endpoint, true},
      {"token_endpoint", &m.token_endpoint, true},
      {"jwks_uri", &m.jwks_uri, true},
      {"userinfo_endpoint", &m.userinfo_endpoint, false},
      {"end_session_endpoint", &m.end_session_endpoint, false},
      {"revocation_endpoint", &m.revocation_endpoint, false},
      {"pushed_authorization_request_endpoint", &m.pushed_authorization_request_endpoint, false},
  };
  for (const auto& f : fields) {
    if (detail::hasNonString(*obj, f.name)) return Errc::kMalformedEndpoint;
    auto v = detail::getString(*obj, f.name);
    if (!v || v->empty()) {
      if (f.required) return Errc::kMissingRequiredField;
      continue;
    }
    if (auto r = checkEndpointUrl(*v); !r) return r.error();
    *f.out = std::move(*v);
  }

  if (const auto* aliases = obj->if_contains("mtls_endpoint_aliases")) {
    if (!aliases->is_object()) return Errc::kMalformedEndpoint;
    for (const auto& [name, url] : aliases->get_object()) {
      if (!url.is_string()) return Errc::kMalformedEndpoint;
      std::string u(url.get_string());
      if (auto r = checkEndpointUrl(u); !r) return r.error();
      m.mtls_endpoint_aliases.emplace(std::string(name), std::move(u));
    }
  }

  m.response_types_supported = detail::getStringArray(*obj, "response_types_supported");
  m.response_modes_supported = detail::getStringArray(*obj, "response_modes_supported");
  m.code_challenge_methods_supported =
      detail::getStringArray(*obj, "code_challenge_methods_supported");
  m.token_endpoint_auth_methods_supported =
      detail::getStringArray(*obj, "token_endpoint_auth_methods_supported");
  m.id_token_signing_alg_values_supported =
      detail::getStringArray(*obj, "id_token_signing_alg_values_supported");
  m.scopes_supported = detail::getStringArray(*obj, "scopes_supported");
  m.authorization_response_iss_parameter_supported =
      detail::getTrue(*obj, "authorization_response_iss_parameter_supported");
  m.backchannel_logout_supported = detail::getTrue(*obj, "backchannel_logout_supported");
  m.backchannel_logout_session_supported =
      detail::getTrue(*obj, "backchannel_logout_session_supported");
  m.require_pushed_authorization_requests =
      detail::getTrue(*obj, "require_pushed_authorization_requests");
  m.request_object_signing_alg_values_supported =
      detail::getStringArray(*obj, "request_object_signing_alg_values_supported");
  m.require_signed_request_object = detail::getTrue(*obj, "require_signed_request_object");

  // authgate only speaks the Authorization Code Flow (OIDC Core s3.1).
  if (obj->contains("response_types_supported") && !contains(m.response_types_supported, "code")) {
    return Errc::kCodeFlowNotSupported;
  }
  return m;
}

ProviderMetadata withMtlsEndpointAliases(ProviderMetadata m) {
  const auto use = [&m](const char* name, std::string& endpoint) {
    auto it = m.mtls_endpoint_aliases.find(name);
    if (it != m.mtls_endpoint_aliases.end()) endpoint = it->second;
  };
  use("token_endpoint", m.token_endpoint);
  use("revocation_endpoint", m.revocation_endpoint);
  use("userinfo_endpoint", m.userinfo_endpoint);
  use("pushed_authorization_request_endpoint", m.pushed_authorization_request_endpoint);
  return m;
}

std::vector<std::string> discoveryWarnings(const ProviderMetadata& m,
                                           const RelyingPartyOptions& rp) {
  std::vector<std::string> w;
  if (m.end_session_endpoint.empty() && !isAuth0Host(issuerHost(m))) {
    w.emplace_back(
        "no end_session_endpoint: logout cannot reach the provider, users may be signed in "
        "again silently");
  }
  if (!contains(m.code_challenge_methods_supported, "S256")) {
    w.emplace_back("code_challenge_methods_supported does not list S256 (PKCE, RFC 7636)");
  }
  // RFC 8414 s2: absent means client_secret_basic only.
  auto method = std::string(clientAuthMethodName(rp.client_auth_method));
  bool offered = m.token_endpoint_auth_methods_supported.empty()
                     ? rp.client_auth_method == ClientAuthMethod::kClientSecretBasic
                     : contains(m.token_endpoint_auth_methods_supported, method);
  if (!offered) {
    w.emplace_back("the configured client auth method " + method +
                   " is not in token_endpoint_auth_methods_supported");
  }
  for (const auto& alg : rp.id_token_algs) {
    if (!m.id_token_signing_alg_values_supported.empty() &&
        !contains(m.id_token_signing_alg_values_supported, alg)) {
      w.emplace_back("the configured ID token algorithm " + alg +
                     " is not in id_token_signing_alg_values_supported");
    }
  }
  if (m.userinfo_endpoint.empty()) w.emplace_back("no userinfo_endpoint");
  if (m.require_pushed_authorization_requests &&
      rp.pushed_authorization_requests == ParMode::kNever) {
    w.emplace_back(
        "the provider requires pushed authorization requests "
        "(require_pushed_authorization_requests) but provider.pushed_authorization_requests is "
        "never: it will refuse every login");
  }
  if (m.require_signed_request_object && !rp.signed_authorize_requests) {
    w.emplace_back(
        "the provider requires signed request objects (require_signed_request_object) but "
        "provider.signed_authorize_requests is off: it will refuse every login");
  }
  if (rp.signed_authorize_requests && rp.request_object_key &&
      !m.request_object_signing_alg_values_supported.empty() &&
      !contains(m.request_object_signing_alg_values_supported,
                std::string(jose::algName(rp.request_object_key->alg)))) {
    w.emplace_back("the request object algorithm " +
                   std::string(jose::algName(rp.request_object_key->alg)) +
                   " is not in request_object_signing_alg_values_supported");
  }
  return w;
}

bool isAuth0Host(std::string_view host) {
  std::string h = detail::asciiLower(host);
  constexpr std::string_view kSuffix = ".auth0.com";
  // Covers TENANT.auth0.com and regional TENANT.eu.auth0.com, TENANT.us.auth0.com ...;
  // a label must precede the suffix, and "evilauth0.com" does not end in ".auth0.com".
  return h.size() > kSuffix.size() &&
         h.compare(h.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

LogoutStyle chooseLogoutStyle(std::string_view idpLogout, const ProviderMetadata& m) {
  if (idpLogout == "none") return LogoutStyle::kNone;
  if (idpLogout == "auth0") return LogoutStyle::kAuth0;
  if (idpLogout == "oidc") {
    return m.end_session_endpoint.empty() ? LogoutStyle::kNone : LogoutStyle::kOidc;
  }
  // auto
  if (isAuth0Host(issuerHost(m))) return LogoutStyle::kAuth0;
  if (!m.end_session_endpoint.empty()) return LogoutStyle::kOidc;
  return LogoutStyle::kNone;
}

std::string_view logoutStyleName(LogoutStyle s) {
  switch (s) {
    case LogoutStyle::kAuth0:
      return "auth0";
    case LogoutStyle::kOidc:
      return "oidc";
    case LogoutStyle::kNone:
      return "none";
  }
  return "none";
}

}  // namespace authgate::oidc
