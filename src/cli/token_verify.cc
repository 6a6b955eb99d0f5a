#include "cli/commands.h"

namespace authgate::cli {

// To come: verify TOKEN against the provider's JWKS (jose), print its claims or the
// exact reason it fails; 0 valid, 1 invalid.
int runTokenVerify(const CommonOptions&, const TokenVerifyOptions&) {
  return notAvailable("token verify");
}

}  // namespace authgate::cli
