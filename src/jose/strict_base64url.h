// Internal: a table-driven strict base64url decoder for the token hot path. Same
// contract as core::base64urlDecode (RFC 4648 s5, no padding, no whitespace, zero
// unused bits) but four characters at a time into a pre-sized buffer, which matters
// when a token's three segments are decoded on every request. The unit tests check it
// against core::base64urlDecode on every length and on random input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace authgate::jose::detail {

// Returns false (and leaves `out` unspecified) when `in` is not strict base64url.
bool strictBase64urlDecode(std::string_view in, std::string& out);

// The exact decoded size of a valid input of this length (0 for impossible lengths).
size_t decodedSize(size_t encodedLength);

// Decodes into `out`, which must hold decodedSize(in.size()) bytes.
bool strictBase64urlDecodeInto(std::string_view in, char* out);

}  // namespace authgate::jose::detail
