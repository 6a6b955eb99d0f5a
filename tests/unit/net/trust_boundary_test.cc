// The trust boundary as rules (net/trust_boundary.h, net/forwarded.h, net/framing.h,
// net/upstream.h): what an upstream receives of a client's request head, and which
// request framings are refused.
#include "net/trust_boundary.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "net/forwarded.h"
#include "net/framing.h"
#include "net/upstream.h"

namespace authgate::net {
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

TEST(TrustedProxies, EmptyTrustsNobody) {
  TrustedProxies t;
  EXPECT_FALSE(t.contains(ip::make_address("127.0.0.1")));
}

TEST(ClientAddress, OnlyATrustedPeerIsBelievedAndOnlyAsFarAsTrustGoes) {
  auto t = TrustedProxies::parse({"10.0.0.0/8"});
  const auto lb = ip::make_address("10.0.0.2");
  EXPECT_EQ(clientAddress(ip::make_address("203.0.113.9"), t, "6.6.6.6").to_string(), "203.0.113.9")
      << "an untrusted peer's X-Forwarded-For is ignored";
  EXPECT_EQ(clientAddress(lb, t, "198.51.100.1, 10.0.0.1").to_string(), "198.51.100.1");
  EXPECT_EQ(clientAddress(lb, t, "6.6.6.6, 198.51.100.1").to_string(), "198.51.100.1")
      << "what the client wrote before the first untrusted hop is not read";
  EXPECT_EQ(clientAddress(lb, t, "").to_string(), "10.0.0.2");
  EXPECT_EQ(clientAddress(lb, t, "garbage, 10.0.0.1").to_string(), "10.0.0.1")
      << "a non-address stops the walk at the last good one";
  EXPECT_EQ(clientAddress(ip::make_address("::ffff:203.0.113.9"), t, "").to_string(),
            "203.0.113.9");
}

TEST(ForwardedNode, QuotesIpv6) {
  EXPECT_EQ(forwardedNode(forwardedAddress(ip::make_address("192.0.2.1"))), "192.0.2.1");
  EXPECT_EQ(forwardedNode(forwardedAddress(ip::make_address("2001:db8::1"))), "\"[2001:db8::1]\"");
  EXPECT_EQ(forwardedNode(forwardedAddress(ip::make_address("::ffff:192.0.2.1"))), "192.0.2.1");
}

struct Fixture {
  ForwardPolicy policy;
  std::unique_ptr<Upstream> up;
  ForwardDecision decision;
  bool engine_texts = false;
  Fixture() {
    policy.public_scheme = "https";
    policy.public_host = "app.example.com";
    policy.protected_prefixes = {"x-auth-request-"};
    policy.own_cookies = {"authgate", "authgate_txn"};
    std::string problem;
    up = Upstream::parse("http://127.0.0.1:8080/base", &problem);
    decision.upstream = up.get();
    decision.identity.set("X-Auth-Request-User", "auth0|alice");
    decision.identity.set("X-Auth-Request-Email", "alice@example.com");
  }
  http::request_header<> run(http::request_header<> h, std::string_view peer = "203.0.113.9",
                             bool upgrade = false, bool chunked = false) {
    RequestContext ctx;
    ctx.remote = ip::make_address(peer);
    ctx.client = clientAddress(ctx.remote, policy.trusted, h["X-Forwarded-For"]);
    // Every other test leaves the texts to prepareUpstreamRequest; this one checks the
    // engine's texts are the ones written.
    if (engine_texts) {
      ctx.remote_text = forwardedAddress(ctx.remote);
      ctx.client_text = forwardedAddress(ctx.client);
    }
    prepareUpstreamRequest(h, policy, decision, *up, ctx, upgrade, chunked);
    return h;
  }
};

http::request_header<> head(std::initializer_list<std::pair<const char*, const char*>> fields) {
  http::request_header<> h;
  h.method(http::verb::get);
  h.target("/x?y=1");
  h.version(11);
  for (auto [k, v] : fields) h.insert(k, v);
  return h;
}

TEST(UpstreamRequest, IdentityComesFromTheDecisionOnlyWhateverTheSpelling) {
  Fixture f;
  auto h = f.run(head({{"x-auth-request-user", "mallory"},
                       {"X_Auth_Request_Email", "admin@example.com"},
                       {"X-AUTH-REQUEST-GROUPS", "admins"},
                       {"x-auth-request-email", "admin@example.com"}}));
  EXPECT_EQ(h.count("X-Auth-Request-User"), 1U);
  EXPECT_EQ(h["X-Auth-Request-User"], "auth0|alice");
  EXPECT_EQ(h.count("X-Auth-Request-Email"), 1U);
  EXPECT_EQ(h["X-Auth-Request-Email"], "alice@example.com");
  EXPECT_EQ(h.count("X-Auth-Request-Groups"), 0U);
  EXPECT_EQ(h.find("X_Auth_Request_Email"), h.end());
}

TEST(UpstreamRequest, UnderscoreNamesAreDroppedUnlessAllowedAndProtectedEitherWay) {
  Fixture f;
  auto h = f.run(head({{"X_Custom", "1"}, {"X-Custom-Dash", "2"}}));
  EXPECT_EQ(h.find("X_Custom"), h.end());
  EXPECT_EQ(h["X-Custom-Dash"], "2");
  f.policy.allow_underscores = true;
  h = f.run(
      head({{"X_Custom", "1"}, {"X_Auth_Request_User", "mallory"}, {"X_Real_IP", "6.6.6.6"}}));
  EXPECT_EQ(h["X_Custom"], "1");
  EXPECT_EQ(h.find("X_Auth_Request_User"), h.end());
  EXPECT_EQ(h.find("X_Real_IP"), h.end());
  EXPECT_EQ(h["X-Auth-Request-User"], "auth0|alice");
}

TEST(UpstreamRequest, ForwardingHeadersAreWhatAuthgateSaw) {
  Fixture f;
  auto h = f.run(head({{"Host", "evil.example:8443"},
                       {"X-Forwarded-For", "6.6.6.6"},
                       {"X-Forwarded-Proto", "gopher"},
                       {"X-Forwarded-Host", "evil.example"},
                       {"X-Forwarded-User", "admin"},
                       {"X-Forwarded-Email", "admin@example.com"},
                       {"X-Forwarded-Access-Token", "t"},
                       {"X-Real-IP", "6.6.6.6"},
                       {"Forwarded", "for=6.6.6.6;host=evil.example"}}));
  EXPECT_EQ(h["X-Forwarded-For"], "203.0.113.9");
  EXPECT_EQ(h["X-Forwarded-Proto"], "https");
  EXPECT_EQ(h["X-Forwarded-Host"], "app.example.com");
  EXPECT_EQ(h["X-Real-IP"], "203.0.113.9");
  EXPECT_EQ(h["Forwarded"], "for=203.0.113.9;host=app.example.com;proto=https");
  for (auto name : {"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Access-Token"}) {
    EXPECT_EQ(h.find(name), h.end()) << name;
  }
  EXPECT_EQ(h[http::field::host], "evil.example:8443") << "Host is the client's (routing)";
  EXPECT_EQ(h.count("X-Forwarded-For"), 1U);
  EXPECT_EQ(h.count("Forwarded"), 1U);
}

TEST(UpstreamRequest, ARouteForAnotherHostForwardsThatHost) {
  Fixture f;
  f.decision.forwarded_host = "shop.example.com";
  auto h = f.run(head({{"Host", "shop.example.com"}, {"X-Forwarded-Host", "evil.example"}}));
  EXPECT_EQ(h["X-Forwarded-Host"], "shop.example.com");
  EXPECT_EQ(h["Forwarded"], "for=203.0.113.9;host=shop.example.com;proto=https");
  // A trusted proxy's own word still comes first.
  f.policy.trusted = TrustedProxies::parse({"10.0.0.0/8"});
  auto g = f.run(head({{"X-Forwarded-Host", "shop.example.com:8443"}}), "10.0.0.2");
  EXPECT_EQ(g["X-Forwarded-Host"], "shop.example.com:8443");
}

TEST(UpstreamRequest, ATrustedPeerExtendsTheChains) {
  Fixture f;
  f.policy.trusted = TrustedProxies::parse({"10.0.0.0/8"});
  auto h = f.run(head({{"X-Forwarded-For", "198.51.100.1"},
                       {"X-Forwarded-Proto", "http"},
                       {"X-Forwarded-Host", "shop.example.com:8443"},
                       {"Forwarded", "for=198.51.100.1"},
                       {"X-Forwarded-User", "admin"}}),
                 "10.0.0.2");
  EXPECT_EQ(h["X-Forwarded-For"], "198.51.100.1, 10.0.0.2");
  EXPECT_EQ(h["X-Forwarded-Proto"], "http");
  EXPECT_EQ(h["X-Forwarded-Host"], "shop.example.com:8443");
  EXPECT_EQ(h["X-Real-IP"], "198.51.100.1");
  EXPECT_EQ(h["Forwarded"],
            "for=198.51.100.1, for=10.0.0.2;host=\"shop.example.com:8443\";proto=http");
  auto g = f.run(head({{"X-Forwarded-Host", "a.example, evil.example"}}), "10.0.0.2");
  EXPECT_EQ(g["X-Forwarded-Host"], "app.example.com") << "a list is not a host";
  EXPECT_EQ(h.find("X-Forwarded-User"), h.end()) << "trusted or not, never an identity";
}

TEST(UpstreamRequest, TheEngineTextsAndTheFallbackWriteTheSameHeaders) {
  for (const char* peer : {"203.0.113.9", "::ffff:203.0.113.9", "2001:db8::7"}) {
    Fixture f;
    f.policy.trusted = TrustedProxies::parse({"2001:db8::/32"});
    const auto in = head({{"X-Forwarded-For", "198.51.100.1"}});
    auto computed = f.run(in, peer);
    f.engine_texts = true;
    auto given = f.run(in, peer);
    for (auto name : {"X-Forwarded-For", "X-Real-IP", "Forwarded"}) {
      EXPECT_EQ(given[name], computed[name]) << peer << " " << name;
    }
    if (std::string_view(peer) == "2001:db8::7") {
      EXPECT_EQ(given["X-Forwarded-For"], "198.51.100.1, 2001:db8::7");
      EXPECT_EQ(given["X-Real-IP"], "198.51.100.1");
      EXPECT_EQ(given["Forwarded"], "for=\"[2001:db8::7]\";host=app.example.com;proto=https");
    } else {
      EXPECT_EQ(given["X-Forwarded-For"], "203.0.113.9") << "mapped IPv4 is written as IPv4";
      EXPECT_EQ(given["X-Real-IP"], "203.0.113.9");
    }
  }
}

TEST(UpstreamRequest, HopByHopAuthorizationAndOwnCookiesGo) {
  Fixture f;
  auto h = f.run(head({{"Connection", "keep-alive, X-Private"},
                       {"X-Private", "secret"},
                       {"Keep-Alive", "timeout=5"},
                       {"Proxy-Connection", "keep-alive"},
                       {"TE", "trailers"},
                       {"Trailer", "X-Auth-Request-User"},
                       {"Proxy-Authorization", "Basic x"},
                       {"Upgrade", "websocket"},
                       {"Expect", "100-continue"},
                       {"Authorization", "Bearer forged"},
                       {"Cookie", "authgate=sess; theme=dark"},
                       {"Cookie", "authgate_txn=b; lang=en"},
                       {"Content-Type", "text/plain"}}));
  for (auto name : {"Connection", "X-Private", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
                    "Proxy-Authorization", "Upgrade", "Expect", "Authorization"}) {
    EXPECT_EQ(h.find(name), h.end()) << name;
  }
  EXPECT_EQ(h.count(http::field::cookie), 1U);
  EXPECT_EQ(h[http::field::cookie], "theme=dark; lang=en");
  EXPECT_EQ(h[http::field::content_type], "text/plain");
  EXPECT_EQ(h[http::field::host], "127.0.0.1:8080") << "the upstream's authority without a Host";
  EXPECT_EQ(h.target(), "/base/x?y=1");
}

TEST(UpstreamRequest, ABearerTokenJustValidatedPasses) {
  Fixture f;
  f.decision.keep_authorization = true;
  auto h = f.run(head({{"Authorization", "Bearer good"}, {"Cookie", "authgate=s"}}));
  EXPECT_EQ(h[http::field::authorization], "Bearer good");
  EXPECT_EQ(h.find(http::field::cookie), h.end());
}

TEST(UpstreamRequest, FramingAndUpgradeAreReestablished) {
  Fixture f;
  auto h = f.run(head({{"Transfer-Encoding", "chunked"},
                       {"Connection", "Upgrade, Content-Length"},
                       {"Upgrade", "websocket"}}),
                 "203.0.113.9", /*upgrade=*/true, /*chunked=*/true);
  EXPECT_EQ(h[http::field::transfer_encoding], "chunked");
  EXPECT_EQ(h[http::field::upgrade], "websocket");
  EXPECT_EQ(h[http::field::connection], "Upgrade");
  auto g = f.run(head({{"Content-Length", "5"}, {"Connection", "Content-Length"}}));
  EXPECT_EQ(g[http::field::content_length], "5") << "framing is never hop-by-hop";
  EXPECT_EQ(g.find(http::field::transfer_encoding), g.end());
}

TEST(ClientResponse, HopByHopGoesAndFramingIsSet) {
  http::response_header<> h;
  h.result(http::status::ok);
  h.version(11);
  h.set(http::field::connection, "X-Internal");
  h.set("X-Internal", "1");
  h.set(http::field::transfer_encoding, "chunked");
  h.set(http::field::trailer, "X-Checksum");
  h.set(http::field::set_cookie, "app=1");
  prepareClientResponse(h, 11, /*keepAlive=*/false, /*chunked=*/true);
  EXPECT_EQ(h.find("X-Internal"), h.end());
  EXPECT_EQ(h.find(http::field::trailer), h.end());
  EXPECT_EQ(h[http::field::transfer_encoding], "chunked");
  EXPECT_EQ(h[http::field::connection], "close");
  EXPECT_EQ(h[http::field::set_cookie], "app=1");
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

TEST(RemoveCookies, DropsOnlyTheNamedCookies) {
  const std::vector<std::string> ours{"authgate", "authgate_txn"};
  EXPECT_EQ(removeCookies("authgate=abc; theme=dark", ours), "theme=dark");
  EXPECT_EQ(removeCookies("a=1;authgate=x;  b=2", ours), "a=1; b=2");
  EXPECT_EQ(removeCookies("authgate=abc; authgate_txn=1", ours), "");
  EXPECT_EQ(removeCookies("xauthgate=2; junk; j={\"a\":1}", ours),
            "xauthgate=2; junk; j={\"a\":1}");
}

TEST(Upstream, AcceptsHttpWithOptionalPortAndBase) {
  std::string problem;
  auto t = Upstream::parse("http://127.0.0.1:8080/app/", &problem);
  ASSERT_TRUE(t) << problem;
  EXPECT_EQ(t->host(), "127.0.0.1");
  EXPECT_EQ(t->port(), "8080");
  EXPECT_EQ(t->basePath(), "/app");
  EXPECT_EQ(t->authority(), "127.0.0.1:8080");
  EXPECT_TRUE(t->literal());
  EXPECT_EQ(t->target("/x?y=1"), "/app/x?y=1");
  auto d = Upstream::parse("http://app.internal", &problem);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port(), "80");
  EXPECT_FALSE(d->literal());
  EXPECT_EQ(d->target("/"), "/");
  auto v6 = Upstream::parse("http://[::1]:9000", &problem);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host(), "::1");
}

TEST(Upstream, RejectsWhatItCannotServe) {
  for (auto url : {"https://app:443", "ftp://x", "app:8080", "http://u:p@app", "http://app/?q=1",
                   "not a url", "http://app:0", "http://app:99999"}) {
    std::string problem;
    EXPECT_FALSE(Upstream::parse(url, &problem)) << url;
    EXPECT_FALSE(problem.empty()) << url;
  }
}

// Idle connections are pooled by address (host and port), not by Upstream object: a
// reload builds new Upstream objects for the same address and reuses the connections,
// and a connection never goes to another address.
TEST(UpstreamPool, ReusesByAddressNotByObject) {
  boost::asio::io_context io;
  ip::tcp::acceptor acceptor(io, ip::tcp::endpoint(ip::make_address("127.0.0.1"), 0));
  const auto port = std::to_string(acceptor.local_endpoint().port());
  ip::tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  ip::tcp::socket served = acceptor.accept();

  std::string problem;
  auto before = Upstream::parse("http://127.0.0.1:" + port + "/a", &problem);
  auto after = Upstream::parse("http://127.0.0.1:" + port + "/b", &problem);
  auto other = Upstream::parse("http://127.0.0.1:1/a", &problem);
  ASSERT_TRUE(before && after && other) << problem;
  UpstreamPool pool(4, std::chrono::seconds(10));
  pool.put(*before, std::move(client));
  EXPECT_FALSE(pool.take(*other)) << "another address never gets it";
  before.reset();  // the object it was put under is gone
  EXPECT_TRUE(pool.take(*after)) << "the same address reuses it";
  EXPECT_FALSE(pool.take(*after)) << "taken once";
}

struct FramingCase {
  const char* raw;  // a whole request header block
  FramingError expected;
};

TEST(RequestFraming, StrictPerRfc9112) {
  const FramingCase cases[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", FramingError::kNone},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", FramingError::kNone},
      {"POST / HTTP/1.1\r\nTransfer-Encoding:  CHUNKED \r\n\r\n", FramingError::kNone},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", FramingError::kNone},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
       FramingError::kTransferEncoding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", FramingError::kTransferEncoding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       FramingError::kTransferEncoding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", FramingError::kTransferEncoding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n", FramingError::kObsFold},
      {"GET / HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n", FramingError::kObsFold},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", FramingError::kHttp10Chunked},
  };
  for (const auto& c : cases) {
    // Beast unfolds obs-fold and tolerates lists Beast-style: the parsed fields alone
    // would not show these; the raw block does.
    http::request_parser<http::empty_body> p;
    boost::system::error_code ec;
    p.put(boost::asio::buffer(std::string_view(c.raw)), ec);
    ASSERT_TRUE(p.is_header_done()) << c.raw << ec.message();
    EXPECT_EQ(checkRequestFraming(p.get().base(), c.raw), c.expected) << c.raw;
  }
  // What Beast refuses itself never gets this far; the checks hold on their own too.
  http::request_header<> h;
  h.version(11);
  h.insert(http::field::transfer_encoding, "chunked");
  h.insert(http::field::content_length, "3");
  EXPECT_EQ(checkRequestFraming(h, ""), FramingError::kBothLengths);
  http::request_header<> g;
  g.version(11);
  g.insert(http::field::content_length, "3");
  g.insert(http::field::content_length, "3");
  EXPECT_EQ(checkRequestFraming(g, ""), FramingError::kContentLength);
  http::request_header<> k;
  k.version(11);
  k.insert(http::field::content_length, "+3");
  EXPECT_EQ(checkRequestFraming(k, ""), FramingError::kContentLength);
}

}  // namespace
}  // namespace authgate::net
