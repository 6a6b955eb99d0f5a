#include "authgate/oidc/options.h"

namespace authgate::oidc {

std::optional<ClientAuthMethod> parseClientAuthMethod(std::string_view name) {
  if (name == "client_secret_basic") return ClientAuthMethod::kClientSecretBasic;
  if (name == "client_secret_post") return ClientAuthMethod::kClientSecretPost;
  return std::nullopt;
}

std::string_view clientAuthMethodName(ClientAuthMethod m) {
  return m == ClientAuthMethod::kClientSecretPost ? "client_secret_post" : "client_secret_basic";
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
