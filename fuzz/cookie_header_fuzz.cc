// Fuzzes the Cookie request header as authgate reads it (core::findCookie, through
// gateway/web.cc's cookie lookup): the session cookie, the login-transaction cookie and
// their __Host-/__Secure- names among junk pairs a sibling site may have set. Asserts: a
// value found lies inside the header, has no ';' and no DQUOTE, and is what a second
// lookup finds; a name that is only a suffix of another cookie's name is not matched.
#include <cstddef>
#include <cstdint>
#include <string>

#include "authgate/core/codec.h"
#include "fuzz_support.h"

using namespace authgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header = fuzz::text(data, size);
  for (std::string_view name :
       {"authgate", "authgate_txn", "__Host-authgate", "__Secure-authgate", "x"}) {
    auto v = core::findCookie(header, name);
    if (!v) continue;
    if (v->data() < header.data() || v->data() + v->size() > header.data() + header.size()) {
      fuzz::fail();
    }
    if (v->find(';') != std::string_view::npos || v->find('"') != std::string_view::npos) {
      fuzz::fail();
    }
    auto again = core::findCookie(header, name);
    if (!again || *again != *v) fuzz::fail();
    // The pair that matched starts with the name and '=' (after optional whitespace).
    const std::size_t at = static_cast<std::size_t>(v->data() - header.data());
    const std::size_t nameAt = header.rfind(std::string(name) + "=", at);
    if (nameAt == std::string_view::npos) fuzz::fail();
  }
  return 0;
}
