#include "authgate/oidc/options.h"

namespace authgate::oidc {

std::optional<ClientAuthMethod> parseClientAuthMethod(std::string_view name) {
  if (name == "client_secret_basic") return ClientAuthMethod::kClientSecretBasic;
  if (name == "client_secret_post") return ClientAuthMethod::kClientSecretPost;
  if (name == "client_secret_jwt") return ClientAuthMethod::kClientSecretJwt;
  if (name == "private_key_jwt") return ClientAuthMethod::kPrivateKeyJwt;
  if (name == "tls_client_auth") return ClientAuthMethod::kTlsClientAuth;
  if (name == "self_signed_tls_client_auth") return ClientAuthMethod::kSelfSignedTlsClientAuth;
  return std::nullopt;
}

std::string_view clientAuthMethodName(ClientAuthMethod m) {
  switch (m) {
    case ClientAuthMethod::kClientSecretBasic:
      return "client_secret_basic";
    case ClientAuthMethod::kClientSecretPost:
      return "client_secret_post";
    case ClientAuthMethod::kClientSecretJwt:
      return "client_secret_jwt";
    case ClientAuthMethod::kPrivateKeyJwt:
      return "private_key_jwt";
    case ClientAuthMethod::kTlsClientAuth:
      return "tls_client_auth";
    case ClientAuthMethod::kSelfSignedTlsClientAuth:
      return "self_signed_tls_client_auth";
  }
  return "client_secret_basic";
}

bool isTlsClientAuth(ClientAuthMethod m) {
  return m == ClientAuthMethod::kTlsClientAuth || m == ClientAuthMethod::kSelfSignedTlsClientAuth;
}

std::optional<ResponseMode> parseResponseMode(std::string_view name) {
  if (name == "query") return ResponseMode::kQuery;
  if (name == "form_post") return ResponseMode::kFormPost;
  return std::nullopt;
}

std::string_view responseModeName(ResponseMode m) {
  return m == ResponseMode::kFormPost ? "form_post" : "query";
}

std::optional<ParMode> parseParMode(std::string_view name) {
  if (name == "auto") return ParMode::kAuto;
  if (name == "always") return ParMode::kAlways;
  if (name == "never") return ParMode::kNever;
  return std::nullopt;
}

std::string_view parModeName(ParMode m) {
  switch (m) {
    case ParMode::kAlways:
      return "always";
    case ParMode::kNever:
      return "never";
    case ParMode::kAuto:
      break;
  }
  return "auto";
}

}  // namespace authgate::oidc
