#include "strict_base64url.h"

#include <array>
#include <cstdint>

namespace authgate::jose::detail {
namespace {

constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> makeTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < alphabet.size(); ++i) {
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<uint8_t>(i);
  }
  return t;
}
constexpr auto kTable = makeTable();

inline uint32_t lookup(char c) { return kTable[static_cast<unsigned char>(c)]; }

}  // namespace

size_t decodedSize(size_t n) {
  const size_t rem = n % 4;
  if (rem == 1) return 0;
  return n / 4 * 3 + (rem == 0 ? 0 : rem - 1);
}

bool strictBase64urlDecode(std::string_view in, std::string& out) {
  if (in.size() % 4 == 1) return false;
  out.resize(decodedSize(in.size()));
  return strictBase64urlDecodeInto(in, out.data());
}

bool strictBase64urlDecodeInto(std::string_view in, char* outBytes) {
  const size_t rem = in.size() % 4;
  if (rem == 1) return false;  // no byte string encodes to 4k+1 characters
  const size_t full = in.size() / 4;
  auto* o = reinterpret_cast<unsigned char*>(outBytes);
  const char* p = in.data();
  for (size_t i = 0; i < full; ++i, p += 4, o += 3) {
    uint32_t a = lookup(p[0]), b = lookup(p[1]), c = lookup(p[2]), d = lookup(p[3]);
    if ((a | b | c | d) & 0x80u) return false;  // an invalid character maps to 0xff
    uint32_t n = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = static_cast<unsigned char>(n >> 16);
    o[1] = static_cast<unsigned char>(n >> 8);
    o[2] = static_cast<unsigned char>(n);
  }
  if (rem == 2) {
    uint32_t a = lookup(p[0]), b = lookup(p[1]);
    if ((a | b) & 0x80u) return false;
    if (b & 0x0fu) return false;  // unused bits must be zero: one encoding per value
    o[0] = static_cast<unsigned char>((a << 2) | (b >> 4));
  } else if (rem == 3) {
    uint32_t a = lookup(p[0]), b = lookup(p[1]), c = lookup(p[2]);
    if ((a | b | c) & 0x80u) return false;
    if (c & 0x03u) return false;
    uint32_t n = (a << 10) | (b << 4) | (c >> 2);
    o[0] = static_cast<unsigned char>(n >> 8);
    o[1] = static_cast<unsigned char>(n);
  }
  return true;
}

}  // namespace authgate::jose::detail
