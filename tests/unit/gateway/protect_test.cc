// Pure helpers of the reverse proxy (proxy.h), bearer tokens (bearer.h) and the
// X-Forwarded-* rules (forwarded.h).
#include <gtest/gtest.h>

#include "gateway/bearer.h"
#include "gateway/forwarded.h"
#include "gateway/identity.h"
#include "gateway/proxy.h"

namespace authgate::gateway {
namespace {

namespace ip = boost::asio::ip;

TEST(TrustedProxies, MatchesAddressesAndNetworks) {
  std::vector<std::string> bad;
  auto t = TrustedProxies::parse(
      {"10.0.0.0/8", "192.168.1.7", "fd00::/8", "nonsense", "1.2.3.4/33"}, &bad);
  EXPECT_TRUE(t.contains(ip::make_address("10.200.3.4")));
  EXPECT_TRUE(t.contains(ip::make_address("192.168.1.7")));
  EXPECT_FALSE(t.contains(ip::make_address("192.168.1.8")));
  EXPECT_FALSE(t.contains(ip::make_address("11.0.0.1")));
  EXPECT_TRUE(t.contains(ip::make_address("fd12::1")));
  EXPECT_FALSE(t.contains(ip::make_address("fe80::1")));
  // IPv4-mapped IPv6 peers are compared as IPv4.
  EXPECT_TRUE(t.contains(ip::make_address("::ffff:10.1.2.3")));
  EXPECT_EQ(bad, (std::vector<std::string>{"nonsense", "1.2.3.4/33"}));
}

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
  setIdentityHeaders(h, s, config::UpstreamSettings{});
  EXPECT_EQ(h["X-Auth-Request-User"], "auth0|ada");
  EXPECT_EQ(h.count("X-Auth-Request-Email"), 0U);
  EXPECT_EQ(h.count("X-Auth-Request-Preferred-Username"), 0U);
  EXPECT_EQ(h["X-Auth-Request-Session"], "0123456789abcdef");
}

TEST(TrustedProxies, EmptyTrustsNobody) {
  TrustedProxies t;
  EXPECT_FALSE(t.contains(ip::make_address("127.0.0.1")));
}

TEST(ForwardedHeaders, UntrustedPeerReplacesEverything) {
  auto f = forwardedHeaders(ip::make_address("203.0.113.9"), false,
                            {"6.6.6.6", "https", "evil.example", "app.example.com"}, "http");
  EXPECT_EQ(f.forwarded_for, "203.0.113.9");
  EXPECT_EQ(f.proto, "http");
  EXPECT_EQ(f.host, "app.example.com");
}

TEST(ForwardedHeaders, TrustedPeerExtendsTheChain) {
  auto f = forwardedHeaders(ip::make_address("10.0.0.2"), true,
                            {"198.51.100.1, 10.0.0.1", "https", "app.example.com", "internal:4180"},
                            "http");
  EXPECT_EQ(f.forwarded_for, "198.51.100.1, 10.0.0.1, 10.0.0.2");
  EXPECT_EQ(f.proto, "https");
  EXPECT_EQ(f.host, "app.example.com");
}

TEST(ForwardedHeaders, TrustedPeerWithoutHeadersOrWithABadProto) {
  auto f = forwardedHeaders(ip::make_address("::ffff:10.0.0.2"), true, {"", "gopher", "", "h:1"},
                            "http");
  EXPECT_EQ(f.forwarded_for, "10.0.0.2");
  EXPECT_EQ(f.proto, "http");
  EXPECT_EQ(f.host, "h:1");
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

TEST(StripHopByHop, RemovesListedAndConnectionNamedFields) {
  http::fields h;
  h.set(http::field::connection, "keep-alive, X-Private");
  h.insert(http::field::connection, "Upgrade");
  h.set("X-Private", "secret");
  h.set(http::field::keep_alive, "timeout=5");
  h.set("Proxy-Connection", "keep-alive");
  h.set(http::field::te, "trailers");
  h.set(http::field::trailer, "X-Checksum");
  h.set(http::field::transfer_encoding, "chunked");
  h.set(http::field::proxy_authorization, "Basic x");
  h.set(http::field::upgrade, "websocket");
  h.set(http::field::content_type, "text/plain");
  h.set(http::field::host, "app");
  stripHopByHop(h, false);
  for (auto name : {"Connection", "X-Private", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
                    "Transfer-Encoding", "Proxy-Authorization", "Upgrade"}) {
    EXPECT_EQ(h.find(name), h.end()) << name;
  }
  EXPECT_EQ(h[http::field::content_type], "text/plain");
  EXPECT_EQ(h[http::field::host], "app");
}

TEST(StripHopByHop, KeepsUpgradeForAHandshakeAndNeverDropsFramingOrHost) {
  http::fields h;
  h.set(http::field::connection, "Upgrade, Content-Length, Host");
  h.set(http::field::upgrade, "websocket");
  h.set(http::field::content_length, "0");
  h.set(http::field::host, "app");
  stripHopByHop(h, true);
  EXPECT_EQ(h[http::field::upgrade], "websocket");
  EXPECT_EQ(h[http::field::content_length], "0");
  EXPECT_EQ(h[http::field::host], "app");
}

TEST(IsUpgradeRequest, NeedsBothFields) {
  http::fields h;
  h.set(http::field::upgrade, "websocket");
  EXPECT_FALSE(isUpgradeRequest(h));
  h.set(http::field::connection, "keep-alive, Upgrade");
  EXPECT_TRUE(isUpgradeRequest(h));
  h.erase(http::field::upgrade);
  EXPECT_FALSE(isUpgradeRequest(h));
}

TEST(RemoveCookie, DropsOnlyTheNamedCookie) {
  EXPECT_EQ(removeCookie("authgate=abc; theme=dark", "authgate"), "theme=dark");
  EXPECT_EQ(removeCookie("a=1;authgate=x;  b=2", "authgate"), "a=1; b=2");
  EXPECT_EQ(removeCookie("authgate=abc", "authgate"), "");
  EXPECT_EQ(removeCookie("authgate_txn=1; xauthgate=2", "authgate"), "authgate_txn=1; xauthgate=2");
}

TEST(ParseUpstreamUrl, AcceptsHttpWithOptionalPortAndBase) {
  std::string problem;
  auto t = parseUpstreamUrl("http://127.0.0.1:8080/app/", &problem);
  ASSERT_TRUE(t) << problem;
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, "8080");
  EXPECT_EQ(t->base_path, "/app");
  EXPECT_EQ(t->authority, "127.0.0.1:8080");
  EXPECT_EQ(upstreamTarget(*t, "/x?y=1"), "/app/x?y=1");
  auto d = parseUpstreamUrl("http://app.internal", &problem);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, "80");
  EXPECT_EQ(d->base_path, "");
  EXPECT_EQ(upstreamTarget(*d, "/"), "/");
  auto v6 = parseUpstreamUrl("http://[::1]:9000", &problem);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
}

TEST(ParseUpstreamUrl, RejectsWhatItCannotServe) {
  for (auto url : {"https://app:443", "ftp://x", "app:8080", "http://u:p@app", "http://app/?q=1",
                   "not a url"}) {
    std::string problem;
    EXPECT_FALSE(parseUpstreamUrl(url, &problem)) << url;
    EXPECT_FALSE(problem.empty()) << url;
  }
}

TEST(LoginLocation, EncodesTheTarget) {
  EXPECT_EQ(loginLocation("/auth", "/a/b?x=1&y=2"),
            "/auth/login?return_to=%2Fa%2Fb%3Fx%3D1%26y%3D2");
  EXPECT_EQ(loginLocation("/auth", ""), "/auth/login?return_to=%2F");
}

}  // namespace
}  // namespace authgate::gateway
