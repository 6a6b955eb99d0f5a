// rp::RelyingParty driven as an embedding web server drives it: a browser (the cookies it
// holds) goes to startLogin, to the provider (fake::Provider, tests/unit/rp/
// fake_provider.h, which signs real ID tokens and checks the code, the PKCE verifier and
// the client's credentials), back to completeLogin, then authenticate, refresh, logout
// and back-channel logout, over the memory store and a manual clock.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "authgate/core/random.h"
#include "authgate/rp/relying_party.h"
#include "authgate/session/memory_store.h"
#include "authgate/session/session_manager.h"
#include "fake_provider.h"

namespace authgate::rp {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kStart = 1'800'000'000;
constexpr const char* kIp = "203.0.113.7";

const fake::User kAlice{"auth0|alice", "alice@example.com", "Alice Liddell", "op-sid-alice-1"};
const fake::User kBob{"auth0|bob", "bob@example.org", "Bob Builder", "op-sid-bob-1"};

// A browser: the cookies it holds.
struct Browser {
  std::optional<std::string> binding;  // cookies.transaction
  std::optional<std::string> session;  // cookies.session
};

std::string name(const error_code& ec) { return std::string(core::errorName(ec)); }
std::string param(const core::Params& p, std::string_view key) {
  return core::findParam(p, key).value_or("");
}

// The failure of an outcome, if it failed.
template <class T>
std::optional<Failure> failed(const Outcome<T>& o) {
  if (auto* f = std::get_if<Failure>(&o)) return *f;
  return std::nullopt;
}

// The login a callback completed, or nullptr (a failure or a restart).
const LoginComplete* completed(const Outcome<CallbackResult>& o) {
  auto* r = std::get_if<CallbackResult>(&o);
  return r ? std::get_if<LoginComplete>(r) : nullptr;
}

session::SessionOptions cachedSessions() {
  session::SessionOptions o;
  o.cacheCapacity = 64;  // as a server runs it: authenticate(memoryOnly) can answer
  o.cacheTtl = 3'600'000ms;
  return o;
}

session::TokenCipher cipher() {
  return *session::TokenCipher::fromKeys(
      {core::Secret("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")});
}

class RelyingPartyTest : public ::testing::Test {
 protected:
  RelyingPartyTest()
      : store_(session::makeMemoryStore(clock_)),
        sessions_(*store_, cipher(), audit_, clock_, random(), cachedSessions()),
        op_(clock_),
        party_(makeParty()) {}

  static core::Random& random() { return core::OpenSslRandom::instance(); }

  static RelyingPartySettings settings() {
    RelyingPartySettings s;
    s.client.issuer = "https://op.example/";
    s.client.client_id = "client";
    s.client.client_secret = core::Secret("secret");
    s.client.redirect_uri = "https://app.example/auth/callback";
    s.publicUrl = "https://app.example";
    s.allowedOrigins = {"https://docs.example"};
    return s;
  }

  // A RelyingParty over this test's provider and store, its settings edited by `edit`.
  std::unique_ptr<RelyingParty> makeParty(
      const std::function<void(RelyingPartySettings&)>& edit = {}) {
    auto s = settings();
    if (edit) edit(s);
    return std::make_unique<RelyingParty>(std::move(s), op_, sessions_, clock_, random());
  }

  // GET /auth/login: on success the browser keeps the binding cookie.
  Outcome<LoginRedirect> start(Browser& b, std::string returnTo = "/",
                               RelyingParty* party = nullptr, std::string ip = kIp) {
    LoginRequest req{
        .returnTo = std::move(returnTo), .bindingCookie = b.binding, .clientIp = ip, .hints = {}};
    auto out = (party ? *party : *party_).startLogin(req);
    if (auto* r = std::get_if<LoginRedirect>(&out)) b.binding = r->bindingCookie.value;
    return out;
  }

  // GET /auth/callback with the browser's cookies: on success it keeps the session cookie.
  Outcome<CallbackResult> callback(Browser& b, core::Params params, RelyingParty* party = nullptr) {
    CallbackRequest req{.params = std::move(params),
                        .bindingCookie = b.binding,
                        .sessionCookie = b.session,
                        .clientIp = kIp,
                        .userAgent = "test-browser/1"};
    auto out = (party ? *party : *party_).completeLogin(req);
    if (auto* done = completed(out)) b.session = done->sessionCookie.value;
    return out;
  }

  // The whole round trip: login, the provider signs `user` in, the callback.
  Outcome<CallbackResult> loginAs(Browser& b, const fake::User& user, RelyingParty* party = nullptr,
                                  std::string returnTo = "/") {
    auto started = start(b, std::move(returnTo), party);
    if (auto f = failed(started)) return *f;
    return callback(b, op_.authorize(std::get<LoginRedirect>(started).location, user), party);
  }

  // A signed-in session of `user` in browser `b` (a failure fails the test).
  session::Session signIn(Browser& b, const fake::User& user) {
    auto out = loginAs(b, user);
    auto* done = completed(out);
    if (!done) {
      ADD_FAILURE() << "login failed: " << (failed(out) ? name(failed(out)->error) : "restart");
      return {};
    }
    return done->session;
  }

  AuthStatus status(const std::optional<std::string>& cookie, AuthenticateOptions o = {}) {
    return party_->authenticate(cookie, o).status;
  }

  size_t storedSessions() {
    auto page = sessions_.listAll({}, 1000);
    EXPECT_TRUE(page);
    return page ? page->sessions.size() : 0;
  }

  // A Back-Channel Logout token's claims, without sid or sub.
  boost::json::object logoutClaims() {
    return {{"iss", "https://op.example/"},
            {"aud", "client"},
            {"iat", clock_.unixSeconds()},
            {"exp", clock_.unixSeconds() + 120},
            {"jti", random().token(16)},
            {"events",
             {{"http://schemas.openid.net/event/backchannel-logout", boost::json::object{}}}}};
  }

  core::ManualClock clock_{kStart};
  std::unique_ptr<session::SessionStore> store_;
  session::NullAuditSink audit_;
  session::SessionManager sessions_;
  fake::Provider op_;
  std::unique_ptr<RelyingParty> party_;
};

// --- A full login ---

TEST_F(RelyingPartyTest, FullLoginCreatesTheSessionTheIdTokenNames) {
  Browser b;
  auto started = start(b, "/reports?year=2024");
  ASSERT_FALSE(failed(started)) << name(failed(started)->error);
  const auto& redirect = std::get<LoginRedirect>(started);
  EXPECT_TRUE(redirect.location.starts_with("https://op.example/authorize?")) << redirect.location;
  const auto q = fake::queryOf(redirect.location);
  EXPECT_EQ(param(q, "response_type"), "code");
  EXPECT_EQ(param(q, "client_id"), "client");
  EXPECT_EQ(param(q, "redirect_uri"), "https://app.example/auth/callback");
  EXPECT_EQ(param(q, "state").size(), 43u);
  EXPECT_EQ(param(q, "nonce").size(), 43u);
  EXPECT_NE(param(q, "state"), param(q, "nonce"));
  EXPECT_EQ(param(q, "code_challenge_method"), "S256");
  const std::string challenge = param(q, "code_challenge");
  EXPECT_EQ(challenge.size(), 43u);
  EXPECT_EQ(redirect.bindingCookie.name, "authgate_txn");
  EXPECT_EQ(redirect.bindingCookie.value.size(), 43u);
  EXPECT_TRUE(redirect.bindingCookie.httpOnly);
  EXPECT_EQ(redirect.bindingCookie.maxAgeSeconds, 600);
  EXPECT_EQ(redirect.location.find(redirect.bindingCookie.value), std::string::npos)
      << "the binding never travels to the provider";

  const auto back = op_.authorize(redirect.location, kAlice);
  ASSERT_FALSE(param(back, "code").empty()) << param(back, "error_description");
  auto out = callback(b, back);
  auto* done = completed(out);
  ASSERT_NE(done, nullptr) << (failed(out) ? name(failed(out)->error) : "restart");
  EXPECT_EQ(done->returnTo, "/reports?year=2024");
  EXPECT_EQ(done->sessionCookie.name, "authgate");
  EXPECT_EQ(done->sessionCookie.value.size(), 43u);
  EXPECT_TRUE(done->sessionCookie.httpOnly);
  EXPECT_EQ(done->sessionCookie.sameSite, "Lax");
  EXPECT_EQ(done->sessionCookie.path, "/");
  EXPECT_FALSE(done->sessionCookie.maxAgeSeconds) << "a session cookie: the record decides";
  EXPECT_EQ(done->session.subject, kAlice.sub);
  EXPECT_EQ(done->session.email, kAlice.email) << "from the ID token";
  EXPECT_EQ(done->session.name, kAlice.name) << "from UserInfo";
  EXPECT_EQ(done->session.providerSid, kAlice.sid);
  EXPECT_FALSE(done->session.tokens.refreshToken.empty());
  EXPECT_EQ(done->session.tokens.accessTokenExpiresAt, kStart + 3600);

  // The code exchange the provider received: the verifier of the challenge, the code
  // and redirect_uri, and the client's credentials in the Basic header.
  const auto exchanges = op_.tokenRequests("authorization_code");
  ASSERT_EQ(exchanges.size(), 1u);
  EXPECT_EQ(fake::s256(param(exchanges[0].form, "code_verifier")), challenge);
  EXPECT_EQ(param(exchanges[0].form, "code"), param(back, "code"));
  EXPECT_EQ(param(exchanges[0].form, "redirect_uri"), "https://app.example/auth/callback");
  EXPECT_EQ(fake::basicCredentials(exchanges[0].authorization),
            std::make_pair(std::string("client"), std::string("secret")));
  EXPECT_FALSE(core::findParam(exchanges[0].form, "client_secret"));

  auto auth = party_->authenticate(b.session);
  ASSERT_EQ(auth.status, AuthStatus::kActive);
  EXPECT_EQ(auth.session->subject, kAlice.sub);
  EXPECT_EQ(auth.session->publicId, done->session.publicId);

  // The same callback again: its state was taken once.
  auto replay = callback(b, back);
  auto f = failed(replay);
  ASSERT_TRUE(f);
  EXPECT_EQ(name(f->error), "state_mismatch");
  EXPECT_EQ(f->status, 400);
  EXPECT_FALSE(f->matchedLogin);
  EXPECT_EQ(storedSessions(), 1u);
  EXPECT_EQ(op_.tokenRequests("authorization_code").size(), 1u) << "nothing exchanged again";
  EXPECT_EQ(status(b.session), AuthStatus::kActive) << "the session survives the replay";
}

// --- completeLogin refusals ---

TEST_F(RelyingPartyTest, AnUnknownStateIsRefusedBeforeTheCodeIsUsed) {
  Browser b;
  auto started = start(b);
  ASSERT_FALSE(failed(started));
  auto back = op_.authorize(std::get<LoginRedirect>(started).location, kAlice);
  auto out = callback(b, {{"code", param(back, "code")}, {"state", random().token(32)}});
  auto f = failed(out);
  ASSERT_TRUE(f);
  EXPECT_EQ(name(f->error), "state_mismatch");
  EXPECT_EQ(f->status, 400);
  EXPECT_FALSE(f->matchedLogin);
  EXPECT_TRUE(op_.tokenRequests("authorization_code").empty());
  EXPECT_EQ(storedSessions(), 0u);
}

TEST_F(RelyingPartyTest, AnotherBrowsersBindingRestartsTheLoginWithoutExchanging) {
  Browser mine, other;
  auto started = start(mine, "/inbox");
  ASSERT_FALSE(failed(started));
  ASSERT_FALSE(failed(start(other)));  // the other browser holds a binding of its own
  ASSERT_NE(mine.binding, other.binding);
  const auto back = op_.authorize(std::get<LoginRedirect>(started).location, kAlice);

  auto out = callback(other, back);
  auto* result = std::get_if<CallbackResult>(&out);
  ASSERT_NE(result, nullptr) << name(failed(out)->error);
  auto* restart = std::get_if<RestartLogin>(result);
  ASSERT_NE(restart, nullptr);
  EXPECT_EQ(restart->returnTo, "/inbox");
  EXPECT_TRUE(op_.tokenRequests("authorization_code").empty()) << "the code is never exchanged";
  EXPECT_EQ(storedSessions(), 0u);
  EXPECT_FALSE(other.session);

  // The transaction was spent by that callback.
  auto again = failed(callback(mine, back));
  ASSERT_TRUE(again);
  EXPECT_EQ(name(again->error), "state_mismatch");
}

TEST_F(RelyingPartyTest, AMalformedOrMissingBindingIsAMismatch) {
  for (std::optional<std::string> cookie :
       {std::optional<std::string>("forged"), std::optional<std::string>(std::nullopt)}) {
    Browser b;
    auto started = start(b);
    ASSERT_FALSE(failed(started));
    const auto back = op_.authorize(std::get<LoginRedirect>(started).location, kAlice);
    b.binding = cookie;
    auto out = callback(b, back);
    auto f = failed(out);
    ASSERT_TRUE(f) << "cookie " << cookie.value_or("(none)");
    EXPECT_EQ(name(f->error), "browser_binding_mismatch");
    EXPECT_EQ(f->status, 400);
    EXPECT_TRUE(f->matchedLogin);
  }
  EXPECT_TRUE(op_.tokenRequests("authorization_code").empty());
  EXPECT_EQ(storedSessions(), 0u);
}

struct BadIdToken {
  const char* label;
  std::function<void(boost::json::object&)> edit;
  const char* error;
};

TEST_F(RelyingPartyTest, IdTokensThatFailValidationCreateNothing) {
  const BadIdToken cases[] = {
      {"wrong nonce", [](auto& c) { c["nonce"] = "a-nonce-of-another-login"; }, "nonce_mismatch"},
      {"expired",
       [](auto& c) {
         c["iat"] = kStart - 200;
         c["exp"] = kStart - 120;  // beyond the 60 s skew
       },
       "expired"},
      {"minted 400 s ago", [](auto& c) { c["iat"] = kStart - 400; }, "id_token_too_old"},
  };
  for (const auto& bad : cases) {
    Browser b;
    op_.editNextIdToken(bad.edit);
    auto out = loginAs(b, kAlice);
    auto f = failed(out);
    ASSERT_TRUE(f) << bad.label;
    EXPECT_EQ(name(f->error), bad.error) << bad.label;
    EXPECT_EQ(f->status, 401) << bad.label;
    EXPECT_TRUE(f->matchedLogin) << bad.label;
  }
  EXPECT_EQ(op_.tokenRequests("authorization_code").size(), 3u) << "each was exchanged";
  EXPECT_EQ(storedSessions(), 0u);
}

TEST_F(RelyingPartyTest, MaxIdTokenAgeIsTheSettingsValue) {
  auto strict = makeParty([](auto& s) { s.client.max_id_token_age = 120s; });
  Browser b;
  op_.editNextIdToken([](auto& c) { c["iat"] = kStart - 200; });  // within the default 300 s
  auto f = failed(loginAs(b, kAlice, strict.get()));
  ASSERT_TRUE(f);
  EXPECT_EQ(name(f->error), "id_token_too_old");
  EXPECT_EQ(f->status, 401);
  EXPECT_EQ(storedSessions(), 0u);

  op_.editNextIdToken([](auto& c) { c["iat"] = kStart - 100; });
  EXPECT_TRUE(completed(loginAs(b, kAlice, strict.get()))) << "within 120 s";
}

TEST_F(RelyingPartyTest, AnExpiredCodeIsInvalidGrant) {
  Browser b;
  auto started = start(b);
  ASSERT_FALSE(failed(started));
  const auto back = op_.authorize(std::get<LoginRedirect>(started).location, kAlice);
  clock_.advance(61s);  // past the provider's code lifetime, within the transaction's
  auto f = failed(callback(b, back));
  ASSERT_TRUE(f);
  EXPECT_EQ(name(f->error), "invalid_grant");
  EXPECT_EQ(f->status, 400);
  EXPECT_EQ(op_.tokenRequests("authorization_code").size(), 1u);
  EXPECT_EQ(storedSessions(), 0u);
}

TEST_F(RelyingPartyTest, AWrongClientSecretIsInvalidClient) {
  auto wrong = makeParty([](auto& s) { s.client.client_secret = core::Secret("not-the-secret"); });
  Browser b;
  auto f = failed(loginAs(b, kAlice, wrong.get()));
  ASSERT_TRUE(f);
  EXPECT_EQ(name(f->error), "invalid_client");
  EXPECT_EQ(f->status, 502);
  const auto exchanges = op_.tokenRequests("authorization_code");
  ASSERT_EQ(exchanges.size(), 1u);
  EXPECT_EQ(fake::basicCredentials(exchanges[0].authorization)->second, "not-the-secret");
  EXPECT_EQ(storedSessions(), 0u);
}

TEST_F(RelyingPartyTest, AccessRulesRefuseAnEmailOutsideTheDomains) {
  auto rules = makeParty([](auto& s) { s.access.allowed_email_domains = {"example.org"}; });
  Browser alice, bob;
  auto f = failed(loginAs(alice, kAlice, rules.get()));
  ASSERT_TRUE(f);
  EXPECT_EQ(name(f->error), "email_domain_not_allowed");
  EXPECT_EQ(f->status, 403);
  EXPECT_TRUE(f->matchedLogin);
  EXPECT_EQ(storedSessions(), 0u);
  EXPECT_TRUE(completed(loginAs(bob, kBob, rules.get()))) << "example.org is allowed";
  EXPECT_EQ(storedSessions(), 1u);
}

TEST_F(RelyingPartyTest, AProviderErrorShowsItsWordsOnlyForALoginStartedHere) {
  Browser b;
  auto started = start(b);
  ASSERT_FALSE(failed(started));
  const auto state = param(fake::queryOf(std::get<LoginRedirect>(started).location), "state");
  auto out = callback(
      b,
      {{"error", "access_denied"}, {"error_description", "The user cancelled"}, {"state", state}});
  auto f = failed(out);
  ASSERT_TRUE(f);
  EXPECT_EQ(name(f->error), "provider_error");
  EXPECT_EQ(f->status, 401);
  EXPECT_EQ(f->providerError, "access_denied");
  EXPECT_EQ(f->providerDescription, "The user cancelled");
  EXPECT_TRUE(f->matchedLogin);
  // The error spent the transaction: a code for that state is refused.
  auto late = failed(callback(b, {{"code", "a-code"}, {"state", state}}));
  ASSERT_TRUE(late);
  EXPECT_EQ(name(late->error), "state_mismatch");

  auto junk = callback(b, {{"error", "access_denied"},
                           {"error_description", "Call +1 555 0100 to unlock your account"},
                           {"state", random().token(32)}});
  auto j = failed(junk);
  ASSERT_TRUE(j);
  EXPECT_EQ(name(j->error), "provider_error");
  EXPECT_EQ(j->providerError, "access_denied");
  EXPECT_TRUE(j->providerDescription.empty()) << "words of whoever sent the browser here";
  EXPECT_FALSE(j->matchedLogin);
  EXPECT_TRUE(op_.tokenRequests("authorization_code").empty());
  EXPECT_EQ(storedSessions(), 0u);
}

// --- startLogin refusals ---

TEST_F(RelyingPartyTest, AForeignReturnToIsRefusedBeforeAnythingHappens) {
  Browser b;
  const std::pair<const char*, const char*> refused[] = {
      {"https://evil.example/steal", "return_to_origin_not_allowed"},
      {"//evil.example/steal", "unsafe_return_to"},
  };
  for (const auto& [target, error] : refused) {
    auto out = start(b, target);
    auto f = failed(out);
    ASSERT_TRUE(f) << target;
    EXPECT_EQ(name(f->error), error) << target;
    EXPECT_EQ(f->status, 400) << target;
    EXPECT_FALSE(b.binding) << "no cookie for a refused login";
  }
  EXPECT_TRUE(op_.requests().empty()) << "refused before discovery";

  auto out = loginAs(b, kAlice, nullptr, "https://docs.example/guide");
  ASSERT_TRUE(completed(out)) << "an allowed origin";
  EXPECT_EQ(completed(out)->returnTo, "https://docs.example/guide");
}

TEST_F(RelyingPartyTest, AnUnreachableProviderIsProviderUnavailable) {
  op_.setReachable(false);
  Browser b;
  auto f = failed(start(b));
  ASSERT_TRUE(f);
  EXPECT_EQ(name(f->error), "provider_unavailable");
  EXPECT_EQ(f->status, 502);
  EXPECT_FALSE(b.binding);

  op_.setReachable(true);
  clock_.advance(31s);  // past the discovery retry interval
  EXPECT_FALSE(failed(start(b))) << "the provider is back";
}

TEST_F(RelyingPartyTest, PendingLoginsAreBoundedPerClientAndInTotal) {
  auto bounded = makeParty([](auto& s) {
    s.maxPendingLogins = 3;
    s.maxPendingLoginsPerClient = 2;
  });
  constexpr const char* kA = "198.51.100.1";
  Browser a1, a2, a3, b1, c1;
  auto first = start(a1, "/", bounded.get(), kA);
  ASSERT_FALSE(failed(first));
  ASSERT_FALSE(failed(start(a2, "/", bounded.get(), kA)));
  auto perClient = failed(start(a3, "/", bounded.get(), kA));
  ASSERT_TRUE(perClient);
  EXPECT_EQ(perClient->error, make_error_code(Errc::kTooManyPendingLoginsForClient));
  EXPECT_EQ(perClient->status, 429);
  EXPECT_EQ(perClient->retryAfter, 60);

  ASSERT_FALSE(failed(start(b1, "/", bounded.get(), "198.51.100.2")));
  auto total = failed(start(c1, "/", bounded.get(), "198.51.100.3"));
  ASSERT_TRUE(total);
  EXPECT_EQ(total->error, make_error_code(Errc::kTooManyPendingLogins));
  EXPECT_EQ(total->status, 429);
  EXPECT_GT(total->retryAfter, 0);

  // a1's login completes: its slot is free for the same client.
  auto back = op_.authorize(std::get<LoginRedirect>(first).location, kAlice);
  ASSERT_TRUE(completed(callback(a1, back, bounded.get())));
  EXPECT_FALSE(failed(start(a3, "/", bounded.get(), kA)));
  EXPECT_TRUE(failed(start(c1, "/", bounded.get(), "198.51.100.3"))) << "full again";
}

// --- Sessions ---

TEST_F(RelyingPartyTest, TheOlderSessionPresentedAtTheCallbackIsEnded) {
  Browser b;
  const auto first = signIn(b, kAlice);
  const auto oldCookie = b.session;
  ASSERT_TRUE(oldCookie);
  const auto second = signIn(b, kAlice);  // the callback sees the old cookie
  ASSERT_NE(b.session, oldCookie);
  EXPECT_EQ(status(oldCookie), AuthStatus::kAnonymous);
  EXPECT_EQ(status(b.session), AuthStatus::kActive);
  auto ended = sessions_.findByPublicId(first.publicId);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->revokeReason, session::RevokeReason::kReplaced);
  EXPECT_NE(first.publicId, second.publicId);
}

TEST_F(RelyingPartyTest, NoOrAnUnknownCookieIsAnonymous) {
  EXPECT_EQ(status(std::nullopt), AuthStatus::kAnonymous);
  EXPECT_EQ(status(""), AuthStatus::kAnonymous);
  EXPECT_EQ(status("not-a-session"), AuthStatus::kAnonymous);
  auto unknown = party_->authenticate(random().token(32));
  EXPECT_EQ(unknown.status, AuthStatus::kAnonymous);
  EXPECT_EQ(name(unknown.error), "session_not_found");
  EXPECT_FALSE(unknown.session);
}

TEST_F(RelyingPartyTest, MemoryOnlyWouldBlockForASessionNotInTheCache) {
  Browser b;
  signIn(b, kAlice);
  EXPECT_EQ(status(b.session, {.memoryOnly = true}), AuthStatus::kActive) << "cached at login";

  // Another instance on the same store has not seen this session yet.
  session::SessionManager otherSessions(*store_, cipher(), audit_, clock_, random(),
                                        cachedSessions());
  RelyingParty other(settings(), op_, otherSessions, clock_, random());
  auto blocked = other.authenticate(b.session, {.memoryOnly = true});
  EXPECT_EQ(blocked.status, AuthStatus::kWouldBlock);
  EXPECT_FALSE(blocked.session);
  EXPECT_EQ(other.authenticate(b.session).status, AuthStatus::kActive) << "read from the store";
  EXPECT_EQ(other.authenticate(b.session, {.memoryOnly = true}).status, AuthStatus::kActive);
}

TEST_F(RelyingPartyTest, FreshTokensRefreshAnAccessTokenAboutToExpire) {
  Browser b;
  const auto s = signIn(b, kAlice);
  clock_.advance(3600s - 30s);  // inside refreshBeforeExpiry (60 s)
  EXPECT_EQ(status(b.session), AuthStatus::kActive);
  EXPECT_EQ(status(b.session, {.freshTokens = true, .memoryOnly = true}), AuthStatus::kWouldBlock)
      << "a refresh needs the provider";
  EXPECT_TRUE(op_.tokenRequests("refresh_token").empty());

  auto fresh = party_->authenticate(b.session, {.freshTokens = true});
  ASSERT_EQ(fresh.status, AuthStatus::kActive);
  EXPECT_NE(fresh.session->tokens.accessToken, s.tokens.accessToken);
  EXPECT_EQ(fresh.session->tokens.accessTokenExpiresAt, clock_.unixSeconds() + 3600);
  const auto grants = op_.tokenRequests("refresh_token");
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(param(grants[0].form, "refresh_token"), s.tokens.refreshToken.reveal());
  EXPECT_TRUE(fake::basicCredentials(grants[0].authorization));

  EXPECT_EQ(status(b.session, {.freshTokens = true}), AuthStatus::kActive);
  EXPECT_EQ(op_.tokenRequests("refresh_token").size(), 1u) << "fresh now: no second refresh";
}

TEST_F(RelyingPartyTest, ARefreshNowRotatesTheTokens) {
  Browser b;
  const auto s = signIn(b, kAlice);
  auto r = party_->refresh(s, true);
  ASSERT_EQ(r.status, RefreshStatus::kRefreshed) << name(r.error);
  EXPECT_NE(r.session->tokens.accessToken, s.tokens.accessToken);
  EXPECT_NE(r.session->tokens.refreshToken, s.tokens.refreshToken);
  EXPECT_EQ(r.session->refreshCount, 1u);
  EXPECT_FALSE(op_.refreshTokenLive(s.tokens.refreshToken.reveal())) << "spent at the provider";
  EXPECT_TRUE(op_.refreshTokenLive(r.session->tokens.refreshToken.reveal()));
  auto stored = party_->authenticate(b.session);
  ASSERT_EQ(stored.status, AuthStatus::kActive);
  EXPECT_EQ(stored.session->tokens.accessToken, r.session->tokens.accessToken);
  EXPECT_EQ(op_.tokenRequests("refresh_token").size(), 1u);
}

TEST_F(RelyingPartyTest, ARefusedRefreshEndsTheSession) {
  Browser b;
  const auto s = signIn(b, kAlice);
  op_.endGrantsOf(kAlice.sub);
  auto r = party_->refresh(s, true);
  EXPECT_EQ(r.status, RefreshStatus::kEnded);
  EXPECT_EQ(name(r.error), "invalid_grant");
  EXPECT_EQ(status(b.session), AuthStatus::kAnonymous);
}

// --- Logout ---

TEST_F(RelyingPartyTest, LogoutEndsTheSessionRevokesTheGrantAndLeavesThroughTheProvider) {
  Browser b;
  const auto s = signIn(b, kAlice);
  auto out = party_->logout(s);
  ASSERT_FALSE(failed(out)) << name(failed(out)->error);
  const auto& done = std::get<LogoutDone>(out);
  EXPECT_EQ(status(b.session), AuthStatus::kAnonymous);

  const auto revoked = op_.revocations();
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(param(revoked[0].form, "token"), s.tokens.refreshToken.reveal());
  EXPECT_EQ(param(revoked[0].form, "token_type_hint"), "refresh_token");
  EXPECT_TRUE(fake::basicCredentials(revoked[0].authorization));
  EXPECT_FALSE(op_.refreshTokenLive(s.tokens.refreshToken.reveal()));

  EXPECT_TRUE(done.location.starts_with("https://op.example/oidc/logout?")) << done.location;
  const auto q = fake::queryOf(done.location);
  EXPECT_EQ(param(q, "post_logout_redirect_uri"), "https://app.example/");
  EXPECT_EQ(param(q, "client_id"), "client");
  EXPECT_EQ(param(q, "logout_hint"), kAlice.sid);
  EXPECT_EQ(done.clearedCookie.name, "authgate");
  EXPECT_EQ(done.clearedCookie.value, "");
  EXPECT_EQ(done.clearedCookie.maxAgeSeconds, 0);
  EXPECT_TRUE(done.clearedCookie.httpOnly);

  auto again = party_->logout(s);  // a second tab's logout, after the first
  ASSERT_FALSE(failed(again));
  EXPECT_TRUE(std::get<LogoutDone>(again).location.starts_with("https://op.example/oidc/logout?"));
  EXPECT_EQ(std::get<LogoutDone>(again).clearedCookie.maxAgeSeconds, 0);
}

TEST_F(RelyingPartyTest, Auth0LogoutCarriesTheAbsolutePostLogoutTarget) {
  auto auth0 = makeParty([](auto& s) {
    s.idpLogout = "auth0";
    s.postLogoutRedirect = "/goodbye";
  });
  Browser b;
  const auto s = signIn(b, kAlice);
  auto out = auth0->logout(s);
  ASSERT_FALSE(failed(out));
  const auto& location = std::get<LogoutDone>(out).location;
  EXPECT_TRUE(location.starts_with("https://op.example/v2/logout?")) << location;
  const auto q = fake::queryOf(location);
  EXPECT_EQ(param(q, "returnTo"), "https://app.example/goodbye");
  EXPECT_EQ(param(q, "client_id"), "client");
  EXPECT_EQ(status(b.session), AuthStatus::kAnonymous);
}

// --- Back-channel logout ---

TEST_F(RelyingPartyTest, ALogoutTokenEndsTheSessionsItNames) {
  Browser phone, laptop, bobs;
  signIn(phone, kAlice);
  fake::User aliceElsewhere = kAlice;
  aliceElsewhere.sid = "op-sid-alice-2";
  ASSERT_TRUE(completed(loginAs(laptop, aliceElsewhere)));
  signIn(bobs, kBob);

  auto bySid = logoutClaims();
  bySid["sid"] = kAlice.sid;
  auto ended = party_->backchannelLogout(op_.sign(bySid, nullptr, "logout+jwt"));
  ASSERT_FALSE(failed(ended)) << name(failed(ended)->error);
  EXPECT_EQ(std::get<std::size_t>(ended), 1u);
  EXPECT_EQ(status(phone.session), AuthStatus::kAnonymous);
  EXPECT_EQ(status(laptop.session), AuthStatus::kActive) << "another provider session";

  auto bySub = logoutClaims();
  bySub["sub"] = kAlice.sub;
  ended = party_->backchannelLogout(op_.sign(bySub, nullptr, "logout+jwt"));
  ASSERT_FALSE(failed(ended)) << name(failed(ended)->error);
  EXPECT_EQ(std::get<std::size_t>(ended), 1u) << "the one still active";
  EXPECT_EQ(status(laptop.session), AuthStatus::kAnonymous);
  EXPECT_EQ(status(bobs.session), AuthStatus::kActive);
}

TEST_F(RelyingPartyTest, AReplayedLogoutTokenEndsNothing) {
  Browser first, second;
  signIn(first, kAlice);
  auto claims = logoutClaims();
  claims["sid"] = kAlice.sid;
  const auto token = op_.sign(claims, nullptr, "logout+jwt");
  ASSERT_FALSE(failed(party_->backchannelLogout(token)));
  signIn(second, kAlice);  // the same provider session signs in again

  auto replay = party_->backchannelLogout(token);
  auto f = failed(replay);
  ASSERT_TRUE(f);
  EXPECT_EQ(name(f->error), "logout_token_replayed");
  EXPECT_EQ(f->status, 400);
  EXPECT_EQ(status(second.session), AuthStatus::kActive);
}

TEST_F(RelyingPartyTest, ALogoutTokenWithAnUnknownKeyOrANonceEndsNothing) {
  Browser b;
  signIn(b, kAlice);
  auto claims = logoutClaims();
  claims["sid"] = kAlice.sid;

  auto unknown =
      failed(party_->backchannelLogout(op_.sign(claims, &fake::foreignKey(), "logout+jwt")));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(name(unknown->error), "unknown_kid");
  EXPECT_EQ(unknown->status, 400);

  // A forger who names the provider's kid.
  const boost::json::object header{{"alg", "RS256"}, {"typ", "logout+jwt"}, {"kid", "op-key-1"}};
  claims["jti"] = random().token(16);
  auto forged = failed(party_->backchannelLogout(jose::testing::signCompact(
      jose::Alg::kRS256, fake::foreignKey().pkey.get(), jose::testing::jsonText(header),
      jose::testing::jsonText(claims))));
  ASSERT_TRUE(forged);
  EXPECT_EQ(name(forged->error), "bad_signature");
  EXPECT_EQ(forged->status, 400);

  auto withNonce = logoutClaims();
  withNonce["sid"] = kAlice.sid;
  withNonce["nonce"] = "n-0S6_WzA2Mj";
  auto nonce = failed(party_->backchannelLogout(op_.sign(withNonce, nullptr, "logout+jwt")));
  ASSERT_TRUE(nonce);
  EXPECT_EQ(name(nonce->error), "logout_token_has_nonce");
  EXPECT_EQ(nonce->status, 400);

  EXPECT_EQ(status(b.session), AuthStatus::kActive) << "nothing ended";
}

// Bearer access tokens for APIs: signed by the provider's key for an API audience, then
// the access rules' scopes; off without audiences or trusted key sets.
TEST_F(RelyingPartyTest, BearerTokensAreVerifiedForTheApiAudiences) {
  const auto now = clock_.unixSeconds();
  auto accessToken = [&](std::string aud, int64_t exp, std::string scope) {
    boost::json::object claims{{"iss", "https://op.example/"},
                               {"sub", kAlice.sub},
                               {"aud", std::move(aud)},
                               {"iat", now},
                               {"exp", exp},
                               {"scope", std::move(scope)}};
    return op_.sign(claims, nullptr, "at+jwt");
  };
  auto off = party_->verifyBearer(accessToken("https://api.example", now + 600, "read"));
  EXPECT_EQ(off.outcome, BearerOutcome::kInvalidToken) << "no audiences: bearer tokens are off";
  EXPECT_EQ(party_->bearer(), nullptr);

  auto api = makeParty([](auto& s) {
    s.apiAudiences = {"https://api.example"};
    s.access.required_scopes = {"read"};
  });
  ASSERT_NE(api->bearer(), nullptr);
  const auto good = accessToken("https://api.example", now + 600, "read write");
  EXPECT_EQ(api->verifyBearer(good, /*memoryOnly=*/true).outcome, BearerOutcome::kWouldBlock)
      << "not verified yet: memory cannot answer";
  auto valid = api->verifyBearer(good);
  ASSERT_EQ(valid.outcome, BearerOutcome::kValid) << name(valid.error);
  EXPECT_EQ(valid.jwt->stringClaim("sub").value_or(""), kAlice.sub);
  EXPECT_EQ(api->verifyBearer(good, /*memoryOnly=*/true).outcome, BearerOutcome::kValid)
      << "a verified token is answered from memory";

  auto otherApi = api->verifyBearer(accessToken("https://other.example", now + 600, "read"));
  EXPECT_EQ(otherApi.outcome, BearerOutcome::kInvalidToken);
  EXPECT_EQ(name(otherApi.error), "audience_mismatch");
  auto expired = api->verifyBearer(accessToken("https://api.example", now - 600, "read"));
  EXPECT_EQ(expired.outcome, BearerOutcome::kInvalidToken);
  EXPECT_EQ(name(expired.error), "expired");
  auto noScope = api->verifyBearer(accessToken("https://api.example", now + 600, "write"));
  EXPECT_EQ(noScope.outcome, BearerOutcome::kInsufficientScope);
  auto forged = api->verifyBearer(op_.sign(boost::json::object{{"iss", "https://op.example/"},
                                                               {"sub", kAlice.sub},
                                                               {"aud", "https://api.example"},
                                                               {"iat", now},
                                                               {"exp", now + 600},
                                                               {"scope", "read"}},
                                           &fake::foreignKey(), "at+jwt"));
  EXPECT_EQ(forged.outcome, BearerOutcome::kInvalidToken) << "a key the provider does not have";

  const std::string headerValue = "bearer   " + good;
  const auto header = parseAuthorization(headerValue);
  EXPECT_EQ(header.kind, AuthorizationKind::kBearer);
  EXPECT_EQ(header.token, good);
  EXPECT_EQ(parseAuthorization("Bearer a b").kind, AuthorizationKind::kMalformedBearer);
  EXPECT_EQ(parseAuthorization("Basic Zm9vOmJhcg==").kind, AuthorizationKind::kOther);
}

// The cookie names a site gets from its public URL (RFC 6265bis s4.1.3).
TEST(CookieSettings, ForSiteNamesThePrefixesTheSchemeAllows) {
  auto https = CookieSettings::forSite("https://app.example");
  EXPECT_TRUE(https.secure);
  EXPECT_EQ(https.session, "__Host-authgate");
  EXPECT_EQ(https.transaction, "__Host-authgate_txn");
  EXPECT_EQ(https.domain, "");
  auto shared = CookieSettings::forSite("https://app.example", "sid", "example");
  EXPECT_EQ(shared.session, "__Secure-sid") << "__Host- forbids a Domain";
  EXPECT_EQ(shared.transaction, "__Secure-authgate_txn");
  EXPECT_EQ(shared.domain, "example");
  auto http = CookieSettings::forSite("http://127.0.0.1:4180");
  EXPECT_FALSE(http.secure);
  EXPECT_EQ(http.session, "authgate");
  EXPECT_EQ(http.transaction, "authgate_txn");
}

}  // namespace
}  // namespace authgate::rp
