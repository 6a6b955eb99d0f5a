#include "authgate/oidc/options.h"

namespace authgate::oidc {

std::optional<ClientAuthMethod> parseClientAuthMethod(std::string_view name) {
  if (name == "client_secret_basic") return ClientAuthMethod::kClientSecretBasic;
  if (name == "client_secret_post") return ClientAuthMethod::kClientSecretPost;
  if (name == "client_secret_jwt") return ClientAuthMethod::kClientSecretJwt;
  if (name == "private_key_jwt") return ClientAuthMethod::kPrivateKeyJwt;
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
  }
  return "client_secret_basic";
}

std::optional<ResponseMode> parseResponseMode(std::string_view name) {
  if (name == "query") return ResponseMode::kQuery;
  if (name == "form_post") return ResponseMode::kFormPost;
  return std::nullopt;
}

std::string_view responseModeName(ResponseMode m) {
  return m == ResponseMode::kFormPost ? "form_post" : "query";
}

}  // namespace authgate::oidc
