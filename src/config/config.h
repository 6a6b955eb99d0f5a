// The immutable settings of one authgate process, named as docs/CONFIGURATION.md names them.
// Built once by config::load() (YAML file, then environment overrides, then checks)
// and shared read-only by every request.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "authgate/core/secret.h"
#include "config/pages.h"

namespace authgate::config {

using Duration = std::chrono::seconds;

struct ServerSettings {
  std::string listen = "127.0.0.1:4180";     // host:port; port 0 picks a free port
  std::string public_url;                    // external base URL, e.g. https://app.example.com
  std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-* are believed
  std::vector<std::string> allowed_redirect_origins;  // extra origins for return_to
  std::string path_prefix = "/auth";
  int threads = 0;  // 0: one per core
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  Duration read_timeout{30};    // whole request must arrive within this (408)
  Duration idle_timeout{60};    // keep-alive connection idle limit
  Duration shutdown_grace{30};  // drain limit on SIGTERM/SIGINT
  std::string log_level = "info";
  std::string log_format = "auto";  // json | text | auto (json unless stderr is a terminal)
  // Open client connections; 0: half the file-descriptor limit (net::defaultMaxConnections).
  std::size_t max_connections = 0;
  // Open connections from one address (trusted proxies exempt); 0: max_connections / 4, at least
  // 256.
  std::size_t max_connections_per_ip = 0;
  // Header names with '_' reach the upstream (never as an identity header); off: dropped.
  bool underscores_in_headers = false;
  // A second listener for /healthz, /readyz and /metrics; "": the main listener.
  std::string admin_listen;
  // TLS on the main listener: cert_file (PEM chain) and key_file; {}: plain HTTP.
  std::map<std::string, std::string> tls;
  // Domain attribute of authgate's cookies, so several subdomains share a session
  // (e.g. "example.com"); "": host-only cookies.
  std::string cookie_domain;
};

struct ProviderSettings {
  std::string type;           // informational: auth0, okta, custom-oidc, ...; "" = detect
  std::string issuer;         // exact, Auth0's ends with '/'
  std::string discovery_url;  // default issuer + .well-known/openid-configuration
  std::string client_id;
  core::Secret client_secret;
  std::string client_secret_file;  // read at load time into client_secret
  // client_secret_basic | client_secret_post | client_secret_jwt | private_key_jwt |
  // tls_client_auth | self_signed_tls_client_auth (docs/PROTOCOL.md "Client
  // authentication")
  std::string client_auth_method = "client_secret_basic";
  // private_key_jwt: a PEM private key (read at load time into client_private_key), the
  // algorithm it signs with and its kid ("": the RFC 7638 thumbprint of its public key).
  std::string client_private_key_file;
  core::Secret client_private_key;           // the file's PEM text; not a setting
  std::string client_signing_alg = "RS256";  // RS256 | PS256 | ES256
  std::string client_key_id;
  // Pushed Authorization Requests (RFC 9126): auto (whenever discovery names the
  // endpoint) | always | never (docs/PROTOCOL.md "Pushed Authorization Requests").
  std::string pushed_authorization_requests = "auto";
  // JAR (RFC 9101): the authorize parameters in a request object signed with its own key
  // (read at load time into request_object_signing_key), separate from the client key.
  bool signed_authorize_requests = false;
  std::string request_object_signing_key_file;
  core::Secret request_object_signing_key;           // the file's PEM text; not a setting
  std::string request_object_signing_alg = "RS256";  // RS256 | PS256 | ES256
  std::string request_object_key_id;                 // "": the RFC 7638 thumbprint
  // RFC 8705: a TLS client certificate and its key (PEM files, read at load time into
  // tls_client_certificate / tls_client_key) that curl presents to the provider; with
  // them the provider's mtls_endpoint_aliases are used (docs/PROTOCOL.md "mTLS").
  std::string tls_client_certificate_file;
  std::string tls_client_key_file;
  std::string tls_client_certificate;  // the file's PEM text; not a setting
  core::Secret tls_client_key;         // the file's PEM text; not a setting
  // RFC 9449: DPoP proofs on every token-endpoint request; access tokens are then
  // DPoP-bound (docs/PROTOCOL.md "DPoP"). The key: dpop_key_file (an ES256 P-256 PEM
  // private key, read at load time into dpop_key), else one generated at start.
  bool dpop = false;
  std::string dpop_key_file;
  core::Secret dpop_key;  // the file's PEM text; not a setting
  std::vector<std::string> scopes{"openid", "profile", "email", "offline_access"};
  std::string audience;
  std::string organization;
  std::string callback_url;             // default public_url + path_prefix + /callback
  std::string response_mode = "query";  // or form_post
  std::string prompt;
  std::int64_t max_age = -1;  // seconds; -1: not sent
  Duration clock_skew{60};
  // How old an ID token's iat may be at the callback (docs/CONFIGURATION.md "provider").
  Duration max_id_token_age{300};
  std::vector<std::string> id_token_algs{"RS256"};
  std::map<std::string, std::string> extra_authorize_params;
  std::vector<std::string> jwks_urls;  // extra JWKS URLs (OpenMetadata PUBLIC_KEYS)
  std::string tenant;                  // informational (OpenMetadata OIDC_TENANT)
  bool use_pkce = true;
  bool fetch_userinfo = false;
  std::string ca_file;  // custom CA bundle for the provider's TLS
  Duration connect_timeout{3};
  Duration http_timeout{10};
};

struct SessionSettings {
  std::string store = "sqlite:authgate.db";  // sqlite:PATH | redis://... | memory
  std::string cookie_name = "authgate";
  Duration idle_timeout{24 * 3600};
  Duration absolute_timeout{7 * 24 * 3600};
  int max_per_user = 0;                       // 0: unlimited
  std::string encryption_key_file;            // one base64url 32-byte key per line, newest first
  std::vector<core::Secret> encryption_keys;  // inline keys, newest first
  Duration refresh_before_expiry{60};
  // Active sessions kept decrypted in memory (docs/SESSIONS.md "Session cache"); 0 turns
  // it off. Entries live at most cache_ttl and go at once when revoked.
  int cache_size = 10000;
  Duration cache_ttl{30};
  // Login transactions started and not yet completed (each lives 10 minutes), per
  // instance: in all, and per client address. 0: unlimited.
  std::size_t max_pending_logins = 10000;
  std::size_t max_pending_logins_per_ip = 64;
};

struct LogoutSettings {
  std::string idp_logout = "auto";  // auto | auth0 | oidc | none
  std::string post_logout_redirect_url = "/";
};

struct AccessSettings {
  std::vector<std::string> allowed_email_domains;
  std::vector<std::string> allowed_emails;
  bool require_email_verified = false;
  std::vector<std::string> admin_emails;
  // User names (OpenMetadata AUTHORIZER_ADMIN_PRINCIPALS) that are admins; a user's name
  // is the first present jwt_principal_claims claim, the part before '@', lower-cased.
  std::vector<std::string> admin_principals;
  std::vector<std::string> jwt_principal_claims{"email", "preferred_username", "sub"};
  // claim name -> accepted values (any one must be present; arrays match by member)
  std::map<std::string, std::vector<std::string>> required_claims;
};

struct UpstreamSettings {
  std::string url;
  bool pass_access_token = false;
  bool pass_id_token = false;
  Duration timeout{60};
};

struct ApiSettings {
  std::vector<std::string> audiences;
};

struct CompatSettings {
  // OpenMetadata's /callback and /api/v1/auth/* aliases: "auto" (on when OpenMetadata's
  // variables configured authgate), "true" or "false".
  std::string openmetadata_aliases = "auto";
};

// One entry of `routes:`: requests for `host` (any host when empty) whose path starts
// with `path` (at a segment boundary) go to `upstream` under these rules. The longest
// matching path wins, a route for the request's host before one for any host.
struct RouteSettings {
  std::string host;
  std::string path = "/";
  std::string upstream;    // http://host[:port][/base]
  bool is_public = false;  // `public: true`: no sign-in, no identity headers
  // Rules on the signed-in user's claims, as access.* (all empty: anyone signed in).
  std::vector<std::string> allowed_email_domains;
  std::vector<std::string> allowed_emails;
  bool require_email_verified = false;
  std::map<std::string, std::vector<std::string>> required_claims;
  bool admins_only = false;  // access.admin_emails only
  // Which identity headers the upstream gets: user, email, preferred_username, session.
  std::vector<std::string> identity_headers{"user", "email", "preferred_username", "session"};
  bool pass_access_token = false;
  bool pass_id_token = false;
};

struct Config {
  ServerSettings server;
  ProviderSettings provider;
  SessionSettings session;
  LogoutSettings logout;
  AccessSettings access;
  UpstreamSettings upstream;
  ApiSettings api;
  CompatSettings compat;
  std::vector<RouteSettings> routes;    // `routes:` (upstream.url adds a last one for "/")
  bool openmetadata_variables = false;  // OpenMetadata's variables set something
  PagesSettings pages;                  // config/pages.h
  std::string source;  // the file it was read from, or "" for defaults + environment
};

// Whether OpenMetadata's /callback and /api/v1/auth/* paths are served
// (compat.openmetadata_aliases; "auto": when OpenMetadata's variables configured authgate).
inline bool openMetadataAliases(const Config& c) {
  return c.compat.openmetadata_aliases == "true" ||
         (c.compat.openmetadata_aliases == "auto" && c.openmetadata_variables);
}

}  // namespace authgate::config
