#include "gateway/csrf.h"

#include "authgate/core/crypto.h"

namespace authgate::gateway {

std::string formToken(std::string_view purpose, std::string_view sessionCookie) {
  std::string input = "authgate-";
  input.append(purpose).append("-csrf\n").append(sessionCookie);
  return core::sha256Hex(input);
}

FormCheck checkForm(RequestSite site, std::optional<std::string_view> presented,
                    std::string_view purpose, std::string_view sessionCookie) {
  if (site == RequestSite::kForeign) return FormCheck::kForeign;
  // kUnknown (no Origin, no Fetch Metadata: an old browser) passes on the token alone.
  if (!presented || sessionCookie.empty() ||
      !core::constantTimeEqual(*presented, formToken(purpose, sessionCookie))) {
    return FormCheck::kBadToken;
  }
  return FormCheck::kOk;
}

}  // namespace authgate::gateway
