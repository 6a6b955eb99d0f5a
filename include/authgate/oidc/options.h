// What the protocol steps need to know about this relying party. The gateway fills it
// once from config::Config (oidc may not include config/) and shares it read-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "authgate/core/secret.h"

namespace authgate::jose {
struct SigningKey;  // authgate/jose/sign.h
}  // namespace authgate::jose

namespace authgate::oidc {

// OIDC Core s9 / RFC 8414 token_endpoint_auth_method names.
enum class ClientAuthMethod {
  kClientSecretBasic,
  kClientSecretPost,
  kClientSecretJwt,
  kPrivateKeyJwt,
  kTlsClientAuth,            // RFC 8705 s2.1: a CA-issued certificate
  kSelfSignedTlsClientAuth,  // RFC 8705 s2.2: a certificate registered as a JWK
};
// RFC 8705: the client authenticates with its TLS certificate.
bool isTlsClientAuth(ClientAuthMethod m);
enum class ResponseMode { kQuery, kFormPost };
// provider.pushed_authorization_requests (RFC 9126; docs/PROTOCOL.md "Pushed
// Authorization Requests"): auto = whenever discovery names the endpoint.
enum class ParMode { kAuto, kAlways, kNever };

// "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt",
// "tls_client_auth", "self_signed_tls_client_auth";
// nullopt for anything else.
std::optional<ClientAuthMethod> parseClientAuthMethod(std::string_view name);
std::string_view clientAuthMethodName(ClientAuthMethod m);
std::optional<ResponseMode> parseResponseMode(std::string_view name);
std::string_view responseModeName(ResponseMode m);
// "auto", "always", "never"; nullopt for anything else.
std::optional<ParMode> parseParMode(std::string_view name);
std::string_view parModeName(ParMode m);

struct RelyingPartyOptions {
  std::string issuer;  // exact, as the provider spells it (Auth0: trailing '/')
  std::string client_id;
  core::Secret client_secret;
  ClientAuthMethod client_auth_method = ClientAuthMethod::kClientSecretBasic;
  // private_key_jwt: the key that signs client assertions (provider.client_private_key_file).
  std::shared_ptr<const jose::SigningKey> client_key;
  std::string redirect_uri;  // absolute callback URL registered at the provider
  std::vector<std::string> scopes{"openid", "profile", "email", "offline_access"};
  std::string audience;      // Auth0 API identifier (access token becomes a JWT)
  std::string organization;  // Auth0 Organizations: org_... id or organization name
  ResponseMode response_mode = ResponseMode::kQuery;
  std::string prompt;                   // "", "login", "none", "consent" ...
  std::optional<std::int64_t> max_age;  // seconds; sent and enforced when set
  std::string connection;               // Auth0 connection name
  std::string ui_locales;
  std::map<std::string, std::string> extra_authorize_params;
  ParMode pushed_authorization_requests = ParMode::kAuto;
  // JAR (RFC 9101): the authorize parameters travel inside a request object signed with
  // request_object_key (provider.request_object_signing_key_file), its own key.
  bool signed_authorize_requests = false;
  std::shared_ptr<const jose::SigningKey> request_object_key;
  // The issuer is Auth0 (provider.type auth0, or a *.auth0.com host): custom authorize
  // parameters pushed to its PAR endpoint carry Auth0's "ext-" prefix.
  bool auth0_issuer = false;
  std::vector<std::string> id_token_algs{"RS256"};
  std::chrono::seconds clock_skew{60};
  // How old an ID token's iat may be at the callback: the provider has just minted it.
  std::chrono::seconds max_id_token_age{300};
  std::chrono::seconds transaction_ttl{600};  // issue 4: a login must finish in 10 minutes
  std::size_t max_code_bytes = 2048;          // authorization codes are short; cap input
};

}  // namespace authgate::oidc
