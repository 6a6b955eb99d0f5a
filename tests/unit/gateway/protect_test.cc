// Pure helpers of bearer tokens (bearer.h), the identity headers (identity.h) and the
// proxy's decisions (proxy.h). The trust-boundary rules themselves are net's
// (tests/unit/net/trust_boundary_test.cc).
#include <gtest/gtest.h>

#include "gateway/bearer.h"
#include "gateway/identity.h"
#include "gateway/proxy.h"

namespace authgate::gateway {
namespace {

// A claim with CR/LF would otherwise split the header block towards the upstream (or
// in the /auth/check answer): such values are left out, never altered.
TEST(IdentityHeaders, UnsafeClaimsAreLeftOut) {
  EXPECT_TRUE(isSafeHeaderValue("Ada Lovelace\t<ada@example.com>"));
  EXPECT_FALSE(isSafeHeaderValue("ada\r\nX-Admin: 1"));
  EXPECT_FALSE(isSafeHeaderValue(std::string_view("a\0b", 3)));
  EXPECT_FALSE(isSafeHeaderValue("del\x7f"));

  session::Session s;
  s.subject = "auth0|ada";
  s.email = "ada@example.com\r\nX-Auth-Request-User: root";
  s.preferredUsername = "ada\nroot";
  s.publicId = "0123456789abcdef";
  net::http::fields h;
  setIdentityHeaders(h, s, IdentityOptions::of(config::UpstreamSettings{}));
  EXPECT_EQ(h["X-Auth-Request-User"], "auth0|ada");
  EXPECT_EQ(h.count("X-Auth-Request-Email"), 0U);
  EXPECT_EQ(h.count("X-Auth-Request-Preferred-Username"), 0U);
  EXPECT_EQ(h["X-Auth-Request-Session"], "0123456789abcdef");
}

struct AuthorizationCase {
  const char* header;
  AuthorizationKind kind;
  const char* token;
};

TEST(ParseAuthorization, Table) {
  const AuthorizationCase cases[] = {
      {"", AuthorizationKind::kNone, ""},
      {"Bearer abc.def.ghi", AuthorizationKind::kBearer, "abc.def.ghi"},
      {"bearer abc", AuthorizationKind::kBearer, "abc"},  // RFC 9110 s11.1: case-insensitive
      {"BEARER   a-b_c~d+e/f==", AuthorizationKind::kBearer, "a-b_c~d+e/f=="},
      {"Bearer", AuthorizationKind::kMalformedBearer, ""},
      {"Bearer ", AuthorizationKind::kMalformedBearer, ""},
      {"Bearer a b", AuthorizationKind::kMalformedBearer, ""},
      {"Bearer =abc", AuthorizationKind::kMalformedBearer, ""},
      {"Bearer ab=c", AuthorizationKind::kMalformedBearer, ""},
      {"Basic YWxhZGRpbjpvcGVu", AuthorizationKind::kOther, ""},
      {"Bearerx abc", AuthorizationKind::kOther, ""},
  };
  for (const auto& c : cases) {
    auto a = parseAuthorization(c.header);
    EXPECT_EQ(a.kind, c.kind) << c.header;
    EXPECT_EQ(a.token, c.token) << c.header;
  }
}

TEST(LoginLocation, EncodesTheTarget) {
  EXPECT_EQ(loginLocation("/auth", "/a/b?x=1&y=2"),
            "/auth/login?return_to=%2Fa%2Fb%3Fx%3D1%26y%3D2");
  EXPECT_EQ(loginLocation("/auth", ""), "/auth/login?return_to=%2F");
}

}  // namespace
}  // namespace authgate::gateway
