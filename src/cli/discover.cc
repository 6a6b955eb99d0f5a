#include "cli/commands.h"

namespace authgate::cli {

// To come: fetch ISSUER's discovery document and JWKS (net + oidc), print what authgate
// would use (client auth method, algorithms, logout style) and warnings; 0 / 1.
int runDiscover(const CommonOptions&, const std::string&) { return notAvailable("discover"); }

}  // namespace authgate::cli
