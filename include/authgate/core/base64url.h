// Strict base64url (RFC 4648 s5) as JOSE uses it (RFC 7515 s2): no padding, no
// whitespace, and the unused trailing bits must be zero so every value has exactly one
// encoding.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "authgate/core/errc.h"

namespace authgate::core {

std::string base64urlEncode(std::string_view bytes);
Result<std::string> base64urlDecode(std::string_view text);

// For hot paths that decode into a buffer they own (the JWS header on the stack):
// the exact decoded size of a valid input of this length (0 for impossible lengths),
// and a decode into `out`, which must hold base64urlDecodedSize(text.size()) bytes.
// Returns false, leaving `out` unspecified, when `text` is not strict base64url.
size_t base64urlDecodedSize(size_t encodedLength);
bool base64urlDecodeInto(std::string_view text, char* out);

// Standard base64 with padding (RFC 4648 s4), for HTTP Basic credentials and x5c.
std::string base64Encode(std::string_view bytes);

}  // namespace authgate::core
