#include "authgate/core/base64url.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>

namespace authgate::core {
namespace {

TEST(Base64url, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto enc = base64urlEncode(bytes);
    EXPECT_EQ(enc.find('='), std::string::npos);
    auto dec = base64urlDecode(enc);
    ASSERT_TRUE(dec) << enc;
    EXPECT_EQ(*dec, bytes);
    bytes.push_back(static_cast<char>(i * 37 + 200));
  }
}

TEST(Base64url, MatchesRfc4648Vectors) {
  EXPECT_EQ(base64urlEncode("f"), "Zg");
  EXPECT_EQ(base64urlEncode("fo"), "Zm8");
  EXPECT_EQ(base64urlEncode("foo"), "Zm9v");
  EXPECT_EQ(base64urlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("\xfb\xff"), "+/8=");
}

TEST(Base64url, RejectsNonStrictInput) {
  struct Case {
    const char* name;
    std::string text;
  };
  const Case cases[] = {
      {"padding", "Zg=="},
      {"inner padding", "Zg=a"},
      {"space", "Zm9 v"},
      {"newline", "Zm9v\n"},
      {"plus", "+/8"},
      {"length 1 mod 4", "Zm9vY"},
      {"non-canonical bits", "Zh"},
      {"nul", std::string("Zm\0v", 4)},
      {"high byte", "Zm\xc3\xa9"},
  };
  for (const auto& c : cases) {
    auto r = base64urlDecode(c.text);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error(), make_error_code(Errc::kBadBase64url)) << c.name;
  }
}

// An independent, bit-at-a-time reference decoder for RFC 4648 s5 without padding,
// with the canonical-tail rule, to check the table-driven one against.
std::optional<std::string> referenceDecode(std::string_view text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    auto pos = kAlphabet.find(c);
    if (c == '\0' || pos == std::string::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

void expectSameAsReference(const std::string& in) {
  auto fast = base64urlDecode(in);
  auto ref = referenceDecode(in);
  ASSERT_EQ(static_cast<bool>(fast), ref.has_value()) << "input: " << in;
  if (ref) {
    EXPECT_EQ(*fast, *ref) << "input: " << in;
  }
}

TEST(Base64url, AgreesWithReferenceOnEveryLengthOfRandomBytes) {
  std::mt19937 rng(42);
  for (size_t n = 0; n < 200; ++n) {
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    auto text = base64urlEncode(bytes);
    expectSameAsReference(text);
    ASSERT_EQ(base64urlDecodedSize(text.size()), n);
  }
}

TEST(Base64url, AgreesWithReferenceOnRandomText) {
  std::mt19937 rng(7);
  const std::string chars = std::string("ABCxyz019-_+/= \n.\x80") + std::string(1, '\0');
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 12, '\0');
    for (auto& c : s) c = chars[rng() % chars.size()];
    expectSameAsReference(s);
  }
}

}  // namespace
}  // namespace authgate::core
