// Fuzzes return_to / redirectUri validation (oidc/return_to.h) as /auth/login and logout
// use it, and origin normalisation. The input is the value as decoded once from the
// query. Asserts: an accepted relative target starts with '/' but not "//" or "/\", has
// no '\', control, space or non-ASCII byte, and stays accepted when validated again (a
// fixed point); an accepted absolute target's origin is one of the allowed ones; the
// post-logout rules agree with return_to's; absolutize keeps a relative target on the
// public origin.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "authgate/oidc/return_to.h"
#include "fuzz_support.h"

using namespace authgate;

namespace {

bool safeRelative(std::string_view t) {
  if (t.empty() || t[0] != '/') return false;
  if (t.size() > 1 && (t[1] == '/' || t[1] == '\\')) return false;
  for (unsigned char c : t) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value = fuzz::text(data, size);
  static const std::vector<std::string> allowed{"https://app.example.com", "http://localhost:8585"};
  auto r = oidc::validateReturnTo(value, allowed);
  auto logout = oidc::validatePostLogoutRedirect(value, allowed);
  if (static_cast<bool>(r) != static_cast<bool>(logout)) fuzz::fail();
  if (r) {
    if ((*r)[0] == '/') {
      if (!safeRelative(*r)) fuzz::fail();
      const std::string abs = oidc::absolutize(*r, "https://gw.example.com/base");
      if (abs.rfind("https://gw.example.com/", 0) != 0) fuzz::fail();
    } else {
      // An absolute target: its origin (scheme, host, port) is an allowed one.
      const std::size_t authority = r->find("://");
      if (authority == std::string::npos) fuzz::fail();
      const std::size_t end = r->find_first_of("/?#", authority + 3);
      auto origin = oidc::normalizeOrigin(r->substr(0, end));
      if (!origin || std::find(allowed.begin(), allowed.end(), *origin) == allowed.end()) {
        fuzz::fail();
      }
    }
    auto again = oidc::validateReturnTo(*r, allowed);
    if (!again) fuzz::fail();
  }
  if (auto o = oidc::normalizeOrigin(value)) {
    auto twice = oidc::normalizeOrigin(*o);
    if (!twice || *twice != *o) fuzz::fail();
  }
  return 0;
}
