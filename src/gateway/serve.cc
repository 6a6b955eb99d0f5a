#include "gateway/serve.h"

#include <cstdio>

namespace authgate::gateway {

// Placeholder until the HTTP server lands.
int serve(const config::Config&) {
  std::fputs("authgate: serve is not built yet\n", stderr);
  return 1;
}

}  // namespace authgate::gateway
