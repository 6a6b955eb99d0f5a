// Strict base64url (RFC 4648 s5) as JOSE uses it (RFC 7515 s2): no padding, no
// whitespace, and the unused trailing bits must be zero so every value has exactly one
// encoding.
#pragma once

#include <string>
#include <string_view>

#include "authgate/core/errc.h"

namespace authgate::core {

std::string base64urlEncode(std::string_view bytes);
Result<std::string> base64urlDecode(std::string_view text);

// Standard base64 with padding (RFC 4648 s4), for HTTP Basic credentials and x5c.
std::string base64Encode(std::string_view bytes);

}  // namespace authgate::core
