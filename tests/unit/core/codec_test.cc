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

TEST(Cookie, FindsPairsByName) {
  const std::string_view h = "a=1; authgate=abc-_; q=\"x\"";
  EXPECT_EQ(findCookie(h, "authgate"), "abc-_");
  EXPECT_EQ(findCookie(h, "q"), "x");
  EXPECT_EQ(findCookie(h, "a"), "1");
  EXPECT_FALSE(findCookie(h, "missing"));
  EXPECT_FALSE(findCookie(h, "auth")) << "a prefix of a name is not the name";
}

TEST(Cookie, MalformedPairsAreSkippedNotFatal) {
  // What a sibling subdomain can set: none of it may hide the cookie that matters.
  for (const char* junk : {"=x", "a", "a=b c", "a=b\"", "a\x01=b", "a=\\", "json={\"a\":1}",
                           "a b=c", "noequals", "=novalue"}) {
    const std::string h = std::string(junk) + "; authgate=v; " + junk;
    EXPECT_EQ(findCookie(h, "authgate"), "v") << h;
  }
  EXPECT_FALSE(findCookie("authgate=bad value", "authgate")) << "a malformed value is no value";
  EXPECT_EQ(findCookie("authgate=bad value; authgate=good", "authgate"), "good")
      << "the first well-formed pair wins";
}

TEST(Cookie, NoSmallCapOnTheNumberOfCookies) {
  std::string h;
  for (int i = 0; i < 500; ++i) h += "c" + std::to_string(i) + "=x; ";
  h += "authgate=v";
  EXPECT_EQ(findCookie(h, "authgate"), "v");
}

TEST(SetCookie, FormatsAttributes) {
  SetCookie c{.name = "__Host-authgate", .value = "v", .maxAgeSeconds = 60, .secure = true};
  EXPECT_EQ(formatSetCookie(c),
            "__Host-authgate=v; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Lax");
}

TEST(Html, EscapesMarkup) {
  EXPECT_EQ(htmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace authgate::core
