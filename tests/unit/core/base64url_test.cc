#include "authgate/core/base64url.h"

#include <gtest/gtest.h>

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
      {"padding", "Zg=="},       {"inner padding", "Zg=a"},  {"space", "Zm9 v"},
      {"newline", "Zm9v\n"},     {"plus", "+/8"},            {"length 1 mod 4", "Zm9vY"},
      {"non-canonical bits", "Zh"}, {"nul", std::string("Zm\0v", 4)}, {"high byte", "Zm\xc3\xa9"},
  };
  for (const auto& c : cases) {
    auto r = base64urlDecode(c.text);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error(), make_error_code(Errc::kBadBase64url)) << c.name;
  }
}

}  // namespace
}  // namespace authgate::core
