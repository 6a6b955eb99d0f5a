#include "authgate/oidc/return_to.h"

#include <gtest/gtest.h>

namespace authgate::oidc {
namespace {

const std::vector<std::string> kAllowed{"https://app.example.com", "http://localhost:8585/",
                                        "https://ui.example.com:8443"};

class ReturnToRejects : public ::testing::TestWithParam<std::string> {};

TEST_P(ReturnToRejects, Attack) {
  auto r = validateReturnTo(GetParam(), kAllowed);
  ASSERT_FALSE(r) << GetParam() << " -> " << (r ? *r : "");
  EXPECT_TRUE(r.error() == make_error_code(Errc::kUnsafeReturnTo) ||
              r.error() == make_error_code(Errc::kReturnToOriginNotAllowed));
  auto p = validatePostLogoutRedirect(GetParam(), kAllowed);
  EXPECT_FALSE(p) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    Attacks, ReturnToRejects,
    ::testing::Values("//evil.example", "///evil.example", "/\\evil.example", "\\/evil",
                      "\\\\evil.example", "https://evil.example", "https://evil.example/",
                      "http://app.example.com",  // wrong scheme
                      "https://app.example.com.evil.io/", "https://app.example.com:444/",
                      "https://evil@app.example.com/", "https://app.example.com@evil.example/",
                      "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>",
                      "http:/evil", "https:evil.example", "%2F%2Fevil.example", "/%2F/evil",
                      "/%2f%2fevil", "/%5Cevil", "/%5cevil", "/%252F/evil", "/%25252F/evil",
                      "/\t/evil.example", "/\n/evil.example", "/ /evil", "/foo\r\nSet-Cookie: x=1",
                      std::string("/a\0b", 4), "/a\x7f",
                      "/\xEF\xBC\x8F"
                      "evil",
                      "/..//evil", "/./x", "/%2e%2e/x", "/a/../..", "evil.example", "dashboard",
                      "?x=1", "#frag", "/bad%zz", "/a\"b", "/<script>",
                      "https://app.example.com:443.evil.example/",
                      "https://app.example.com:443evil/x"),
    [](const auto& p) { return "case" + std::to_string(p.index); });

TEST(ReturnTo, AcceptsSafeRelativePaths) {
  for (std::string ok : {"/", "/dashboard?x=1#frag", "/a/b/c", "/search?q=a%20b&r=%2F",
                         "/docs/v1.2/x..y", "/path%20with%20spaces"}) {
    auto r = validateReturnTo(ok, kAllowed);
    ASSERT_TRUE(r) << ok << ": " << r.error().message();
    EXPECT_EQ(*r, ok);
  }
  EXPECT_EQ(*validateReturnTo("", kAllowed), "/");
}

TEST(ReturnTo, AcceptsAllowedOriginsExactly) {
  EXPECT_EQ(*validateReturnTo("https://app.example.com/x?y=1", kAllowed),
            "https://app.example.com/x?y=1");
  EXPECT_TRUE(validateReturnTo("https://APP.example.com:443/", kAllowed));
  EXPECT_TRUE(validateReturnTo("http://localhost:8585/auth/callback", kAllowed));
  EXPECT_TRUE(validateReturnTo("https://ui.example.com:8443/", kAllowed));
  EXPECT_EQ(validateReturnTo("https://ui.example.com/", kAllowed).error(),
            make_error_code(Errc::kReturnToOriginNotAllowed));
  EXPECT_EQ(validateReturnTo("http://localhost:8586/", kAllowed).error(),
            make_error_code(Errc::kReturnToOriginNotAllowed));
  EXPECT_EQ(validateReturnTo("https://app.example.com/", {}).error(),
            make_error_code(Errc::kReturnToOriginNotAllowed));
}

TEST(ReturnTo, NormalizesOrigins) {
  EXPECT_EQ(normalizeOrigin("HTTPS://App.Example.com:443/"), "https://app.example.com");
  EXPECT_EQ(normalizeOrigin("http://localhost:8585"), "http://localhost:8585");
  EXPECT_EQ(normalizeOrigin("https://a.example/path"), std::nullopt);
  EXPECT_EQ(normalizeOrigin("ftp://a.example"), std::nullopt);
  EXPECT_EQ(normalizeOrigin("https://u@a.example"), std::nullopt);
}

TEST(ReturnTo, AbsolutizesAgainstTheOriginOnly) {
  EXPECT_EQ(absolutize("/x?y", "https://app.example.com/om/"), "https://app.example.com/x?y");
  EXPECT_EQ(absolutize("https://ui.example.com/", "https://app.example.com"),
            "https://ui.example.com/");
}

}  // namespace
}  // namespace authgate::oidc
