#include "config/field.h"

#include <array>
#include <cctype>

namespace authgate::config {
namespace {

#define AUTHGATE_FIELD(section, name)                                          \
  Field {                                                                      \
#section "." #name, [](Config & c) -> FieldRef { return &c.section.name; } \
  }

const std::array kFields = {
    AUTHGATE_FIELD(server, listen),
    AUTHGATE_FIELD(server, public_url),
    AUTHGATE_FIELD(server, trusted_proxies),
    AUTHGATE_FIELD(server, allowed_redirect_origins),
    AUTHGATE_FIELD(server, path_prefix),
    AUTHGATE_FIELD(server, threads),
    AUTHGATE_FIELD(server, max_header_bytes),
    AUTHGATE_FIELD(server, max_body_bytes),
    AUTHGATE_FIELD(server, read_timeout),
    AUTHGATE_FIELD(server, idle_timeout),
    AUTHGATE_FIELD(server, shutdown_grace),
    AUTHGATE_FIELD(server, log_level),
    AUTHGATE_FIELD(server, log_format),
    AUTHGATE_FIELD(server, max_connections),
    AUTHGATE_FIELD(server, max_connections_per_ip),
    AUTHGATE_FIELD(server, underscores_in_headers),
    AUTHGATE_FIELD(server, admin_listen),
    AUTHGATE_FIELD(server, tls),
    AUTHGATE_FIELD(server, cookie_domain),
    AUTHGATE_FIELD(provider, type),
    AUTHGATE_FIELD(provider, issuer),
    AUTHGATE_FIELD(provider, discovery_url),
    AUTHGATE_FIELD(provider, client_id),
    AUTHGATE_FIELD(provider, client_secret),
    AUTHGATE_FIELD(provider, client_secret_file),
    AUTHGATE_FIELD(provider, client_auth_method),
    AUTHGATE_FIELD(provider, client_private_key_file),
    AUTHGATE_FIELD(provider, client_signing_alg),
    AUTHGATE_FIELD(provider, client_key_id),
    AUTHGATE_FIELD(provider, pushed_authorization_requests),
    AUTHGATE_FIELD(provider, signed_authorize_requests),
    AUTHGATE_FIELD(provider, request_object_signing_key_file),
    AUTHGATE_FIELD(provider, request_object_signing_alg),
    AUTHGATE_FIELD(provider, request_object_key_id),
    AUTHGATE_FIELD(provider, tls_client_certificate_file),
    AUTHGATE_FIELD(provider, tls_client_key_file),
    AUTHGATE_FIELD(provider, dpop),
    AUTHGATE_FIELD(provider, dpop_key_file),
    AUTHGATE_FIELD(provider, scopes),
    AUTHGATE_FIELD(provider, audience),
    AUTHGATE_FIELD(provider, organization),
    AUTHGATE_FIELD(provider, callback_url),
    AUTHGATE_FIELD(provider, response_mode),
    AUTHGATE_FIELD(provider, prompt),
    AUTHGATE_FIELD(provider, max_age),
    AUTHGATE_FIELD(provider, clock_skew),
    AUTHGATE_FIELD(provider, max_id_token_age),
    AUTHGATE_FIELD(provider, id_token_algs),
    AUTHGATE_FIELD(provider, extra_authorize_params),
    AUTHGATE_FIELD(provider, jwks_urls),
    AUTHGATE_FIELD(provider, tenant),
    AUTHGATE_FIELD(provider, use_pkce),
    AUTHGATE_FIELD(provider, fetch_userinfo),
    AUTHGATE_FIELD(provider, ca_file),
    AUTHGATE_FIELD(provider, connect_timeout),
    AUTHGATE_FIELD(provider, http_timeout),
    AUTHGATE_FIELD(session, store),
    AUTHGATE_FIELD(session, cookie_name),
    AUTHGATE_FIELD(session, idle_timeout),
    AUTHGATE_FIELD(session, absolute_timeout),
    AUTHGATE_FIELD(session, max_per_user),
    AUTHGATE_FIELD(session, encryption_key_file),
    AUTHGATE_FIELD(session, encryption_keys),
    AUTHGATE_FIELD(session, refresh_before_expiry),
    AUTHGATE_FIELD(session, cache_size),
    AUTHGATE_FIELD(session, cache_ttl),
    AUTHGATE_FIELD(session, max_pending_logins),
    AUTHGATE_FIELD(session, max_pending_logins_per_ip),
    AUTHGATE_FIELD(logout, idp_logout),
    AUTHGATE_FIELD(logout, post_logout_redirect_url),
    AUTHGATE_FIELD(access, allowed_email_domains),
    AUTHGATE_FIELD(access, allowed_emails),
    AUTHGATE_FIELD(access, require_email_verified),
    AUTHGATE_FIELD(access, admin_emails),
    AUTHGATE_FIELD(access, admin_principals),
    AUTHGATE_FIELD(access, jwt_principal_claims),
    AUTHGATE_FIELD(access, required_claims),
    AUTHGATE_FIELD(upstream, url),
    AUTHGATE_FIELD(upstream, pass_access_token),
    AUTHGATE_FIELD(upstream, pass_id_token),
    AUTHGATE_FIELD(upstream, timeout),
    AUTHGATE_FIELD(api, audiences),
    AUTHGATE_FIELD(compat, openmetadata_aliases),
    AUTHGATE_FIELD(pages, templates_dir),
    AUTHGATE_FIELD(pages, brand),
};

#undef AUTHGATE_FIELD

constexpr std::array<std::string_view, 9> kSections = {
    "server", "provider", "session", "logout", "access", "upstream", "api", "compat", "pages"};

}  // namespace

std::span<const Field> fields() { return kFields; }

const Field* findField(std::string_view key) {
  for (const auto& f : kFields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::span<const std::string_view> sections() { return kSections; }

std::string envName(std::string_view key) {
  std::string name = "AUTHGATE_";
  for (char c : key) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

}  // namespace authgate::config
