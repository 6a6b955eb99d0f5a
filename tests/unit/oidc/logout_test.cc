#include "authgate/oidc/logout.h"

#include <gtest/gtest.h>

#include <limits>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <map>

#include "test_support.h"

namespace authgate::oidc {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-client-secret";

std::map<std::string, std::string> queryOf(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  EXPECT_TRUE(u) << url;
  std::map<std::string, std::string> out;
  if (!u) return out;
  for (auto p : u->params()) out.emplace(p.key, p.value);
  return out;
}

TEST(Auth0Logout, BuildsV2LogoutOnTheIssuerHost) {
  auto url = buildAuth0LogoutUrl("https://tenant.eu.auth0.com/", "client-1",
                                 "https://app.example.com/bye?x=1");
  EXPECT_EQ(url.rfind("https://tenant.eu.auth0.com/v2/logout?", 0), 0u) << url;
  EXPECT_EQ(queryOf(url),
            (std::map<std::string, std::string>{{"client_id", "client-1"},
                                                {"returnTo", "https://app.example.com/bye?x=1"}}));
  EXPECT_NE(buildAuth0LogoutUrl("http://127.0.0.1:3000/", "c", "", true).find("&federated"),
            std::string::npos);
  EXPECT_EQ(buildAuth0LogoutUrl("http://127.0.0.1:3000/", "c", "")
                .rfind("http://127.0.0.1:3000/v2/logout?", 0),
            0u);
}

TEST(RpLogout, ClientIdAndLogoutHintKeepTheIdTokenOutOfTheUrl) {
  ProviderMetadata m;
  m.end_session_endpoint = "https://idp.example/oidc/logout";
  core::Secret idToken("h.p.s");
  LogoutRedirectParams p;
  p.post_logout_redirect_uri = "https://app.example.com/";
  p.id_token_hint = &idToken;
  p.sid = "sid-1";
  auto url = buildRpLogoutUrl(m, "client-1", p);
  ASSERT_TRUE(url);
  EXPECT_EQ(url->find("h.p.s"), std::string::npos) << *url;
  EXPECT_EQ(queryOf(*url), (std::map<std::string, std::string>{
                               {"post_logout_redirect_uri", "https://app.example.com/"},
                               {"client_id", "client-1"},
                               {"logout_hint", "sid-1"}}));
}

TEST(RpLogout, IdTokenHintOnlyWithoutASid) {
  ProviderMetadata m;
  m.issuer = "https://idp.example/";
  m.end_session_endpoint = "https://idp.example/oidc/logout?ui=1";
  core::Secret idToken("h.p.s");
  LogoutRedirectParams p;
  p.post_logout_redirect_uri = "https://app.example.com/";
  p.id_token_hint = &idToken;
  p.state = "st";
  auto url = buildRpLogoutUrl(m, "client-1", p);
  ASSERT_TRUE(url);
  EXPECT_EQ(queryOf(*url), (std::map<std::string, std::string>{
                               {"ui", "1"},
                               {"id_token_hint", "h.p.s"},
                               {"post_logout_redirect_uri", "https://app.example.com/"},
                               {"client_id", "client-1"},
                               {"state", "st"}}));
  m.end_session_endpoint.clear();
  EXPECT_EQ(buildRpLogoutUrl(m, "c", p).error(), make_error_code(Errc::kNoLogoutEndpoint));
}

TEST(LogoutRedirect, FollowsTheStyle) {
  ProviderMetadata m;
  m.issuer = "https://tenant.auth0.com/";
  m.end_session_endpoint = "https://tenant.auth0.com/oidc/logout";
  LogoutRedirectParams p;
  p.post_logout_redirect_uri = "https://app/";
  EXPECT_FALSE(*buildLogoutRedirect(LogoutStyle::kNone, m, "c", p));
  EXPECT_NE(buildLogoutRedirect(LogoutStyle::kAuth0, m, "c", p)->value().find("/v2/logout?"),
            std::string::npos);
  EXPECT_NE(buildLogoutRedirect(LogoutStyle::kOidc, m, "c", p)->value().find("/oidc/logout?"),
            std::string::npos);
}

boost::json::object goodClaims() {
  return {{"iss", "https://tenant.auth0.com/"},
          {"aud", "client-1"},
          {"sub", "auth0|42"},
          {"sid", "sid-1"},
          {"iat", kNow - 10},
          {"exp", kNow + 110},
          {"jti", "jti-1"},
          {"events", {{std::string(kBackchannelLogoutEvent), boost::json::object{}}}}};
}
boost::json::object jwtHeader() { return {{"alg", "HS256"}, {"typ", "JWT"}}; }

TEST(LogoutToken, AcceptsAuth0Shape) {
  core::ManualClock clock(kNow);
  auto f = checkLogoutTokenClaims(jwtHeader(), goodClaims(), {}, clock);
  ASSERT_TRUE(f) << core::errorName(f.error());
  EXPECT_EQ(f->sub, "auth0|42");
  EXPECT_EQ(f->sid, "sid-1");
  EXPECT_EQ(f->jti, "jti-1");
  EXPECT_EQ(f->exp, kNow + 110);
  EXPECT_TRUE(checkLogoutTokenClaims({{"typ", "logout+jwt"}}, goodClaims(), {}, clock));
  EXPECT_TRUE(checkLogoutTokenClaims({{"typ", "application/logout+jwt"}}, goodClaims(), {}, clock));
  auto onlySid = goodClaims();
  onlySid.erase("sub");
  EXPECT_TRUE(checkLogoutTokenClaims(jwtHeader(), onlySid, {}, clock));
}

struct BadLogout {
  const char* name;
  void (*mutate)(boost::json::object& header, boost::json::object& claims);
  Errc code;
};

class LogoutTokenRejects : public ::testing::TestWithParam<BadLogout> {};

TEST_P(LogoutTokenRejects, WithItsOwnCode) {
  core::ManualClock clock(kNow);
  auto h = jwtHeader();
  auto c = goodClaims();
  GetParam().mutate(h, c);
  auto r = checkLogoutTokenClaims(h, c, {}, clock);
  ASSERT_FALSE(r) << GetParam().name;
  EXPECT_EQ(r.error(), make_error_code(GetParam().code)) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, LogoutTokenRejects,
    ::testing::Values(
        BadLogout{"no_typ", [](auto& h, auto&) { h.erase("typ"); }, Errc::kBadLogoutTokenType},
        BadLogout{"id_token_typ", [](auto& h, auto&) { h["typ"] = "at+jwt"; },
                  Errc::kBadLogoutTokenType},
        BadLogout{"no_events", [](auto&, auto& c) { c.erase("events"); },
                  Errc::kMissingLogoutEvent},
        BadLogout{"events_not_object", [](auto&, auto& c) { c["events"] = "x"; },
                  Errc::kMissingLogoutEvent},
        BadLogout{"wrong_event",
                  [](auto&, auto& c) {
                    c["events"] = boost::json::object{{"http://other", boost::json::object{}}};
                  },
                  Errc::kMissingLogoutEvent},
        BadLogout{"event_member_not_object",
                  [](auto&, auto& c) {
                    c["events"] = boost::json::object{{std::string(kBackchannelLogoutEvent), true}};
                  },
                  Errc::kMissingLogoutEvent},
        BadLogout{"nonce", [](auto&, auto& c) { c["nonce"] = "n"; }, Errc::kLogoutTokenHasNonce},
        BadLogout{"no_sub_no_sid",
                  [](auto&, auto& c) {
                    c.erase("sub");
                    c.erase("sid");
                  },
                  Errc::kMissingSubAndSid},
        BadLogout{"empty_sub_sid",
                  [](auto&, auto& c) {
                    c["sub"] = "";
                    c["sid"] = "";
                  },
                  Errc::kMissingSubAndSid},
        BadLogout{"no_jti", [](auto&, auto& c) { c.erase("jti"); }, Errc::kMissingJti},
        BadLogout{"no_iat", [](auto&, auto& c) { c.erase("iat"); }, Errc::kMissingIat},
        BadLogout{"old_iat", [](auto&, auto& c) { c["iat"] = kNow - 3600; },
                  Errc::kLogoutTokenTooOld},
        BadLogout{"future_iat", [](auto&, auto& c) { c["iat"] = kNow + 3600; },
                  Errc::kLogoutTokenFromFuture},
        // Found by fuzz/logout_token_fuzz (seed iat-huge-negative): now - iat overflowed.
        BadLogout{"iat_int64_min",
                  [](auto&, auto& c) { c["iat"] = std::numeric_limits<std::int64_t>::min(); },
                  Errc::kLogoutTokenTooOld}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(LogoutToken, ValidatesSignatureAndAudienceThroughJose) {
  core::ManualClock clock(kNow);
  RelyingPartyOptions rp;
  rp.issuer = "https://tenant.auth0.com/";
  rp.client_id = "client-1";
  rp.client_secret = core::Secret(std::string(kSecret));
  rp.id_token_algs = {"HS256"};
  jose::KeyStore keys;
  auto token = testing::signHs256(jwtHeader(), goodClaims(), kSecret);
  auto f = validateLogoutToken(token, keys, rp, {}, clock);
  ASSERT_TRUE(f) << core::errorName(f.error());
  EXPECT_EQ(f->jti, "jti-1");
  auto wrongAud = goodClaims();
  wrongAud["aud"] = "other";
  EXPECT_FALSE(
      validateLogoutToken(testing::signHs256(jwtHeader(), wrongAud, kSecret), keys, rp, {}, clock));
  auto nonce = goodClaims();
  nonce["nonce"] = "n";
  EXPECT_EQ(
      validateLogoutToken(testing::signHs256(jwtHeader(), nonce, kSecret), keys, rp, {}, clock)
          .error(),
      make_error_code(Errc::kLogoutTokenHasNonce));
  EXPECT_FALSE(validateLogoutToken(
      testing::signHs256(jwtHeader(), goodClaims(), "another-secret-another-secret-xx"), keys, rp,
      {}, clock));
}

}  // namespace
}  // namespace authgate::oidc
