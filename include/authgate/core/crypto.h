// Small cryptographic helpers on OpenSSL: constant-time comparison and hashing.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace authgate::core {

// Compares two secrets without a timing side channel on their contents
// (CRYPTO_memcmp). Lengths are not secret.
bool constantTimeEqual(std::string_view a, std::string_view b) noexcept;

using Sha256Digest = std::array<uint8_t, 32>;
Sha256Digest sha256(std::string_view data);
std::string sha256Hex(std::string_view data);
std::string hexEncode(std::string_view bytes);

}  // namespace authgate::core
