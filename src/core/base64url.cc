#include "authgate/core/base64url.h"

#include <array>
#include <cstdint>

namespace authgate::core {
namespace {

constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> makeUrlTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (size_t i = 0; i < kUrlAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kUrlAlphabet[i])] = static_cast<int8_t>(i);
  }
  return t;
}
constexpr auto kUrlTable = makeUrlTable();

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = byte(i) << 16;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

}  // namespace

std::string base64urlEncode(std::string_view bytes) { return encode(bytes, kUrlAlphabet, false); }
std::string base64Encode(std::string_view bytes) { return encode(bytes, kStdAlphabet, true); }

size_t base64urlDecodedSize(size_t n) {
  const size_t rem = n % 4;
  if (rem == 1) return 0;  // no byte string encodes to 4k+1 characters
  return n / 4 * 3 + (rem == 0 ? 0 : rem - 1);
}

// Four characters at a time into a pre-sized buffer: a token's three segments are
// decoded on every request that carries one.
bool base64urlDecodeInto(std::string_view text, char* outBytes) {
  const size_t rem = text.size() % 4;
  if (rem == 1) return false;
  auto lookup = [](char c) {
    return static_cast<uint32_t>(kUrlTable[static_cast<unsigned char>(c)]);
  };
  auto* o = reinterpret_cast<unsigned char*>(outBytes);
  const char* p = text.data();
  for (size_t i = 0, full = text.size() / 4; i < full; ++i, p += 4, o += 3) {
    uint32_t a = lookup(p[0]), b = lookup(p[1]), c = lookup(p[2]), d = lookup(p[3]);
    if ((a | b | c | d) & 0x80u) return false;  // an invalid character maps to -1
    uint32_t n = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = static_cast<unsigned char>(n >> 16);
    o[1] = static_cast<unsigned char>(n >> 8);
    o[2] = static_cast<unsigned char>(n);
  }
  // The unused bits of the last character must be zero: one encoding per value.
  if (rem == 2) {
    uint32_t a = lookup(p[0]), b = lookup(p[1]);
    if ((a | b) & 0x80u || (b & 0x0fu)) return false;
    o[0] = static_cast<unsigned char>((a << 2) | (b >> 4));
  } else if (rem == 3) {
    uint32_t a = lookup(p[0]), b = lookup(p[1]), c = lookup(p[2]);
    if ((a | b | c) & 0x80u || (c & 0x03u)) return false;
    uint32_t n = (a << 10) | (b << 4) | (c >> 2);
    o[0] = static_cast<unsigned char>(n >> 8);
    o[1] = static_cast<unsigned char>(n);
  }
  return true;
}

Result<std::string> base64urlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return Errc::kBadBase64url;
  std::string out(base64urlDecodedSize(text.size()), '\0');
  if (!base64urlDecodeInto(text, out.data())) return Errc::kBadBase64url;
  return out;
}

}  // namespace authgate::core
