#include "authgate/oidc/authorize.h"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>
#include <map>

#include "authgate/core/clock.h"
#include "test_support.h"

namespace authgate::oidc {
namespace {

using testing::FixedRandom;

RelyingPartyOptions rpOptions() {
  RelyingPartyOptions rp;
  rp.issuer = "https://tenant.auth0.com/";
  rp.client_id = "client-123";
  rp.client_secret = core::Secret("s3cr3t");
  rp.redirect_uri = "https://app.example.com/auth/callback";
  return rp;
}

// Parses the URL back and returns every query parameter, asserting none repeats.
std::map<std::string, std::string> queryOf(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  EXPECT_TRUE(u) << url;
  std::map<std::string, std::string> out;
  if (!u) return out;
  for (auto p : u->params()) {
    EXPECT_TRUE(out.emplace(p.key, p.value).second) << "repeated " << p.key;
  }
  return out;
}

TEST(Pkce, MatchesRfc7636AppendixB) {
  EXPECT_EQ(pkceChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(LoginTransaction, HasLongDistinctSecretsAndRecordsWhatWasSent) {
  core::ManualClock clock(1'700'000'000);
  FixedRandom random;
  auto rp = rpOptions();
  rp.max_age = 300;
  auto t = createLoginTransaction(rp, "/dashboard", "binding", clock, random);
  EXPECT_EQ(t.state.reveal().size(), 43u);  // 32 bytes = 256 bits
  EXPECT_EQ(t.nonce.reveal().size(), 43u);
  EXPECT_GE(t.code_verifier.reveal().size(), 43u);
  EXPECT_LE(t.code_verifier.reveal().size(), 128u);
  for (char c : t.code_verifier.reveal()) {
    // RFC 7636 s4.1: unreserved characters only.
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                c == '~');
  }
  EXPECT_NE(t.state.reveal(), t.nonce.reveal());
  EXPECT_NE(t.nonce.reveal(), t.code_verifier.reveal());
  EXPECT_EQ(t.created_at, 1'700'000'000);
  EXPECT_EQ(t.max_age, 300);
  EXPECT_EQ(t.return_to, "/dashboard");
  EXPECT_EQ(t.redirect_uri, rp.redirect_uri);
  EXPECT_TRUE(browserBindingMatches(t, "binding"));
  EXPECT_FALSE(browserBindingMatches(t, "other-browser"));
  EXPECT_FALSE(browserBindingMatches(t, ""));
}

TEST(AuthorizationRequest, ContainsExactlyTheProtocolParams) {
  core::ManualClock clock;
  FixedRandom random;
  auto rp = rpOptions();
  auto t = createLoginTransaction(rp, "/", "b", clock, random);
  auto req = buildAuthorizationRequest("https://tenant.auth0.com/authorize", rp, t);
  EXPECT_EQ(req.url.rfind("https://tenant.auth0.com/authorize?", 0), 0u);
  std::map<std::string, std::string> expected{
      {"client_id", "client-123"},
      {"redirect_uri", "https://app.example.com/auth/callback"},
      {"response_type", "code"},
      {"scope", "openid profile email offline_access"},
      {"state", t.state.reveal()},
      {"nonce", t.nonce.reveal()},
      {"code_challenge", pkceChallengeS256(t.code_verifier.reveal())},
      {"code_challenge_method", "S256"},
  };
  EXPECT_EQ(queryOf(req.url), expected);
  EXPECT_TRUE(req.ignored_params.empty());
  // The verifier itself never leaves the server.
  EXPECT_EQ(req.url.find(t.code_verifier.reveal()), std::string::npos);
}

TEST(AuthorizationRequest, SendsEveryConfiguredOptionalParam) {
  core::ManualClock clock;
  FixedRandom random;
  auto rp = rpOptions();
  rp.audience = "https://api.example.com";
  rp.organization = "org_abc";
  rp.prompt = "login";
  rp.max_age = 0;
  rp.connection = "google-oauth2";
  rp.ui_locales = "fr-CA";
  rp.response_mode = ResponseMode::kFormPost;
  rp.extra_authorize_params = {{"invitation", "inv 1+2"}};
  auto t = createLoginTransaction(rp, "/", "b", clock, random);
  AuthorizeHints hints;
  hints.login_hint = "a+b@example.com";
  hints.screen_hint = "signup";
  auto q =
      queryOf(buildAuthorizationRequest("https://tenant.auth0.com/authorize", rp, t, hints).url);
  EXPECT_EQ(q["audience"], "https://api.example.com");
  EXPECT_EQ(q["organization"], "org_abc");
  EXPECT_EQ(q["prompt"], "login");
  EXPECT_EQ(q["max_age"], "0");
  EXPECT_EQ(q["connection"], "google-oauth2");
  EXPECT_EQ(q["ui_locales"], "fr-CA");
  EXPECT_EQ(q["response_mode"], "form_post");
  EXPECT_EQ(q["login_hint"], "a+b@example.com");  // '+' survives (encoded as %2B)
  EXPECT_EQ(q["screen_hint"], "signup");
  EXPECT_EQ(q["invitation"], "inv 1+2");
  EXPECT_EQ(q.size(), 18u);
}

TEST(AuthorizationRequest, ExtraParamsCannotOverrideProtocolParams) {
  core::ManualClock clock;
  FixedRandom random;
  auto rp = rpOptions();
  rp.audience = "https://api.example.com";
  rp.extra_authorize_params = {{"state", "attacker"},
                               {"redirect_uri", "https://evil.example/cb"},
                               {"Nonce", "x"},
                               {"audience", "https://other"},
                               {"foo", "bar"}};
  EXPECT_EQ(validateRelyingPartyOptions(rp).error(), make_error_code(Errc::kReservedExtraParam));
  auto t = createLoginTransaction(rp, "/", "b", clock, random);
  auto req = buildAuthorizationRequest("https://tenant.auth0.com/authorize", rp, t);
  auto q = queryOf(req.url);
  EXPECT_EQ(q["state"], t.state.reveal());
  EXPECT_EQ(q["redirect_uri"], rp.redirect_uri);
  EXPECT_EQ(q["nonce"], t.nonce.reveal());
  EXPECT_EQ(q["audience"], "https://api.example.com");
  EXPECT_EQ(q["foo"], "bar");
  EXPECT_EQ(req.ignored_params,
            (std::vector<std::string>{"Nonce", "audience", "redirect_uri", "state"}));
}

TEST(AuthorizationRequest, ReservedExtraParamsAreDroppedEvenWhenNotOtherwiseSent) {
  core::ManualClock clock;
  FixedRandom random;
  auto rp = rpOptions();  // query mode, no max_age, no organization: none of these is sent
  rp.extra_authorize_params = {{"max_age", "0"},
                               {"response_mode", "fragment"},
                               {"organization", "org_evil"},
                               {"request_uri", "urn:x"}};
  auto t = createLoginTransaction(rp, "/", "b", clock, random);
  auto req = buildAuthorizationRequest("https://tenant.auth0.com/authorize", rp, t);
  auto q = queryOf(req.url);
  EXPECT_EQ(q.count("max_age"), 0u);
  EXPECT_EQ(q.count("response_mode"), 0u);
  EXPECT_EQ(q.count("organization"), 0u);
  EXPECT_EQ(q.count("request_uri"), 0u);
  EXPECT_EQ(req.ignored_params.size(), 4u);
}

TEST(AuthorizationRequest, KeepsTheEndpointsOwnQuery) {
  core::ManualClock clock;
  FixedRandom random;
  auto rp = rpOptions();
  auto t = createLoginTransaction(rp, "/", "b", clock, random);
  auto q = queryOf(buildAuthorizationRequest("https://idp.example/auth?tenant=x", rp, t).url);
  EXPECT_EQ(q["tenant"], "x");
  EXPECT_EQ(q["response_type"], "code");
}

TEST(RelyingPartyOptions, Validation) {
  EXPECT_TRUE(validateRelyingPartyOptions(rpOptions()));
  auto noOpenid = rpOptions();
  noOpenid.scopes = {"profile"};
  EXPECT_EQ(validateRelyingPartyOptions(noOpenid).error(), make_error_code(Errc::kInvalidOptions));
  auto fragment = rpOptions();
  fragment.redirect_uri = "https://app.example.com/cb#x";
  EXPECT_EQ(validateRelyingPartyOptions(fragment).error(), make_error_code(Errc::kInvalidOptions));
  auto relative = rpOptions();
  relative.redirect_uri = "/cb";
  EXPECT_EQ(validateRelyingPartyOptions(relative).error(), make_error_code(Errc::kInvalidOptions));
  auto noClient = rpOptions();
  noClient.client_id.clear();
  EXPECT_EQ(validateRelyingPartyOptions(noClient).error(), make_error_code(Errc::kInvalidOptions));
  auto negativeMaxAge = rpOptions();
  negativeMaxAge.max_age = -5;
  EXPECT_EQ(validateRelyingPartyOptions(negativeMaxAge).error(),
            make_error_code(Errc::kInvalidOptions));
}

TEST(LoginTransaction, RoundTripsThroughItsStoredForm) {
  core::ManualClock clock(1'700'000'123);
  FixedRandom random;
  auto rp = rpOptions();
  rp.max_age = 60;
  rp.response_mode = ResponseMode::kFormPost;
  auto t = createLoginTransaction(rp, "/x?y=1#z", "binding", clock, random);
  auto bytes = serializeTransaction(t);
  EXPECT_LT(bytes.size(), 512u);
  auto back = parseTransaction(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->state, t.state);
  EXPECT_EQ(back->nonce, t.nonce);
  EXPECT_EQ(back->code_verifier, t.code_verifier);
  EXPECT_EQ(back->return_to, "/x?y=1#z");
  EXPECT_EQ(back->redirect_uri, t.redirect_uri);
  EXPECT_EQ(back->created_at, 1'700'000'123);
  EXPECT_EQ(back->max_age, 60);
  EXPECT_EQ(back->response_mode, ResponseMode::kFormPost);
  EXPECT_TRUE(browserBindingMatches(*back, "binding"));
}

TEST(LoginTransaction, RejectsMalformedStoredForms) {
  for (
      std::string bad :
      {"", "{}", "[1]", "not json", R"({"v":2})",
       R"({"v":1,"st":"a","no":"b","cv":"short","rt":"/","ru":"x","bb":"h","ca":1,"rm":"query"})",
       R"({"v":1,"st":"a","no":"b","cv":"0123456789012345678901234567890123456789abc","rt":"/","ru":"x","bb":"h","ca":1,"rm":"fragment"})"}) {
    EXPECT_EQ(parseTransaction(bad).error(), make_error_code(Errc::kBadTransaction)) << bad;
  }
}

TEST(LoginTransaction, ExpiresAfterTenMinutes) {
  core::ManualClock clock(1'700'000'000);
  FixedRandom random;
  auto t = createLoginTransaction(rpOptions(), "/", "b", clock, random);
  clock.set(1'700'000'000 + 599);
  EXPECT_FALSE(isTransactionExpired(t, clock));
  clock.set(1'700'000'000 + 600);
  EXPECT_TRUE(isTransactionExpired(t, clock));
  clock.set(1'700'000'000 - 120);  // created far in the future relative to this instance
  EXPECT_TRUE(isTransactionExpired(t, clock));
}

TEST(TransactionCookie, OneSmallHttpOnlyCookieWithTheRightSameSite) {
  auto https = transactionCookie("v", ResponseMode::kFormPost, true);
  EXPECT_EQ(core::formatSetCookie(https),
            "__Host-authgate_txn=v; Path=/; Max-Age=600; Secure; HttpOnly; SameSite=None");
  auto query = transactionCookie("v", ResponseMode::kQuery, true);
  EXPECT_EQ(query.sameSite, "Lax");
  EXPECT_TRUE(query.secure);
  auto http = transactionCookie("v", ResponseMode::kFormPost, false);
  EXPECT_EQ(core::formatSetCookie(http),
            "authgate_txn=v; Path=/; Max-Age=600; HttpOnly; SameSite=Lax");
  FixedRandom random;
  EXPECT_EQ(newBrowserBinding(random).size(), 43u);
}

TEST(LoginTransaction, StoreKeyDoesNotRevealState) {
  auto key = transactionStoreKey("the-state");
  EXPECT_EQ(key.rfind("txn:", 0), 0u);
  EXPECT_EQ(key.find("the-state"), std::string::npos);
  EXPECT_EQ(key, transactionStoreKey("the-state"));
  EXPECT_NE(key, transactionStoreKey("the-statf"));
}

}  // namespace
}  // namespace authgate::oidc
