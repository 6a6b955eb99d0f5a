#include "authgate/core/codec.h"

#include <gtest/gtest.h>

namespace authgate::core {
namespace {

TEST(Form, EncodesUnreservedOnly) {
  EXPECT_EQ(formEncode({{"a b", "x&y=z"}, {"k", "~._-"}}), "a%20b=x%26y%3Dz&k=~._-");
}

TEST(Form, DecodesPlusAndEscapes) {
  auto p = formDecode("a=1+2&b=%2F%2f&&c");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ(findParam(*p, "a"), "1 2");
  EXPECT_EQ(findParam(*p, "b"), "//");
  EXPECT_EQ(findParam(*p, "c"), "");
  EXPECT_EQ(findParam(*p, "d"), std::nullopt);
}

TEST(Form, RejectsBadEscapesAndTooManyPairs) {
  EXPECT_FALSE(formDecode("a=%zz"));
  EXPECT_FALSE(formDecode("a=%2"));
  EXPECT_EQ(formDecode("a=1&b=2&c=3", 2).error(), make_error_code(Errc::kTooLarge));
}

TEST(Cookie, ParsesPairs) {
  auto c = parseCookieHeader("a=1; authgate=abc-_; q=\"x\"");
  ASSERT_TRUE(c);
  EXPECT_EQ(findParam(*c, "authgate"), "abc-_");
  EXPECT_EQ(findParam(*c, "q"), "x");
}

TEST(Cookie, RejectsMalformedHeaders) {
  for (const char* bad : {"=x", "a", "a=b c", "a=b\"", "a\x01=b", "a=\\"}) {
    EXPECT_FALSE(parseCookieHeader(bad)) << bad;
  }
}

TEST(SetCookie, FormatsAttributes) {
  SetCookie c{.name = "__Host-authgate", .value = "v", .maxAgeSeconds = 60, .secure = true};
  EXPECT_EQ(formatSetCookie(c), "__Host-authgate=v; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Lax");
}

TEST(Html, EscapesMarkup) {
  EXPECT_EQ(htmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace authgate::core
