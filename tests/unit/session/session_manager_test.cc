#include "authgate/session/session_manager.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "authgate/core/base64url.h"
#include "authgate/core/crypto.h"
#include "authgate/session/memory_store.h"
#include "authgate/session/session_purger.h"
#include "authgate/session/spdlog_audit_sink.h"
#include "authgate/session/sqlite_store.h"
#include "session/session_codec.h"
#include "test_support.h"

namespace authgate::session {
namespace {

using namespace std::chrono_literals;

bool isErr(const error_code& ec, Errc e) { return ec == make_error_code(e); }
core::Random& rng() { return core::OpenSslRandom::instance(); }

// Passes every call through and counts them, so tests can see what reached the store.
class CountingStore final : public SessionStore {
 public:
  explicit CountingStore(SessionStore& inner) : in_(inner) {}
  std::atomic<int> calls{0};
  std::atomic<int> puts{0};

  std::string_view backend() const override { return in_.backend(); }
  Result<void> ping() override { return ++calls, in_.ping(); }
  Result<StoreRecord> get(std::string_view k) override { return ++calls, in_.get(k); }
  Result<StoreRecord> getByPublicId(std::string_view p) override {
    return ++calls, in_.getByPublicId(p);
  }
  Result<uint64_t> put(const StoreRecord& r, Millis ttl, uint64_t v) override {
    ++calls;
    ++puts;
    return in_.put(r, ttl, v);
  }
  Result<void> erase(std::string_view k) override { return ++calls, in_.erase(k); }
  Result<std::vector<StoreRecord>> listBySubject(std::string_view s) override {
    return ++calls, in_.listBySubject(s);
  }
  Result<std::vector<StoreRecord>> listBySid(std::string_view s) override {
    return ++calls, in_.listBySid(s);
  }
  Result<RecordPage> listAll(std::string_view c, size_t n) override {
    return ++calls, in_.listAll(c, n);
  }
  Result<std::vector<StoreRecord>> purgeExpired(size_t n) override {
    return ++calls, in_.purgeExpired(n);
  }
  Result<bool> tryLock(std::string_view n, std::string_view o, Millis t) override {
    return ++calls, in_.tryLock(n, o, t);
  }
  Result<bool> extendLock(std::string_view n, std::string_view o, Millis t) override {
    return ++calls, in_.extendLock(n, o, t);
  }
  Result<void> unlock(std::string_view n, std::string_view o) override {
    return ++calls, in_.unlock(n, o);
  }
  Result<bool> putValue(std::string_view k, std::string_view v, Millis t, bool absent) override {
    return ++calls, in_.putValue(k, v, t, absent);
  }
  Result<std::optional<std::string>> takeValue(std::string_view k) override {
    return ++calls, in_.takeValue(k);
  }
  Result<void> appendAudit(std::string_view l) override { return ++calls, in_.appendAudit(l); }
  Result<std::vector<std::string>> recentAudit(size_t n) override {
    return ++calls, in_.recentAudit(n);
  }
  std::optional<uint64_t> externalVersion() override { return in_.externalVersion(); }
  Result<void> publishRevoked(std::string_view k) override {
    return ++calls, in_.publishRevoked(k);
  }
  std::unique_ptr<Subscription> subscribeRevoked(
      std::function<void(const std::string&)> f) override {
    return in_.subscribeRevoked(std::move(f));
  }

 private:
  SessionStore& in_;
};

class RecordingSink final : public AuditSink {
 public:
  void write(const AuditEvent& e) override {
    events.push_back(e);
    lines.push_back(auditEventJson(e));
  }
  std::vector<AuditEvent> events;
  std::vector<std::string> lines;
  int count(AuditType t) const {
    return static_cast<int>(std::count_if(events.begin(), events.end(),
                                          [&](const AuditEvent& e) { return e.type == t; }));
  }
};

core::TokenSet tokens(const std::string& tag) {
  core::TokenSet t;
  t.accessToken = core::Secret("ACCESS-" + tag + "-eyJhbGciOiJSUzI1NiJ9.payload.sig");
  t.accessTokenExpiresAt = 1'700'003'600;
  t.refreshToken = core::Secret("REFRESH-" + tag + "-v1.MRrt");
  t.idToken = core::Secret("IDTOKEN-" + tag + "-eyJ0eXAiOiJKV1QifQ.body.sig");
  return t;
}

std::string claims(const std::string& tag) {
  return R"({"email_verified":true,"groups":["CLAIMSECRET-)" + tag + R"("]})";
}

LoginInfo login(const std::string& subject, const std::string& sid = "sid-1") {
  LoginInfo l;
  l.subject = subject;
  l.email = subject + "@example.com";
  l.name = "Alice Example";
  l.preferredUsername = subject;
  l.providerSid = sid;
  l.authTime = 1'699'999'000;
  l.clientIp = "203.0.113.7";
  l.userAgent = "Mozilla/5.0 (test)";
  l.tokens = tokens(subject);
  l.idTokenClaims = claims(subject);
  return l;
}

class SessionManagerTest : public ::testing::Test {
 protected:
  SessionManagerTest()
      : memory_(makeMemoryStore(clock_)), store_(*memory_), key1_(generateKey(rng())) {}

  SessionManager manager(SessionOptions o = {}, std::vector<core::Secret> keys = {}) {
    if (keys.empty()) keys = {key1_};
    return SessionManager(store_, *TokenCipher::fromKeys(keys), sink_, clock_, rng(), o);
  }

  // Every byte the store holds, records and audit lines.
  std::string rawStore() {
    std::string all;
    std::string cursor;
    do {
      auto page = memory_->listAll(cursor, 100);
      for (auto& r : page->records) all += r.key + "|" + r.publicId + "|" + r.data + "\n";
      cursor = page->nextCursor;
    } while (!cursor.empty());
    for (auto& l : *memory_->recentAudit(10000)) all += l + "\n";
    return all;
  }

  core::ManualClock clock_;
  std::unique_ptr<SessionStore> memory_;
  CountingStore store_;
  RecordingSink sink_;
  core::Secret key1_;
};

TEST_F(SessionManagerTest, MintsA256BitRandomIdPerLogin) {
  auto m = manager();
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto c = m.create(login("alice"));
    ASSERT_TRUE(c);
    const std::string& v = c->cookieValue.reveal();
    EXPECT_EQ(v.size(), 43u);
    EXPECT_EQ(core::base64urlDecode(v)->size(), 32u);
    EXPECT_TRUE(SessionManager::isWellFormedCookie(v));
    EXPECT_TRUE(seen.insert(v).second);
    EXPECT_EQ(c->session.publicId.size(), 16u);
    EXPECT_EQ(c->session.publicId.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(v.find(c->session.publicId), std::string::npos);
  }
}

TEST_F(SessionManagerTest, StoresOnlyTheHashOfTheCookie) {
  auto m = manager();
  auto c = m.create(login("alice"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->session.key, core::sha256Hex(c->cookieValue.reveal()));
  std::string raw = rawStore();
  EXPECT_NE(raw.find(c->session.key), std::string::npos);
  EXPECT_EQ(raw.find(c->cookieValue.reveal()), std::string::npos);
}

TEST_F(SessionManagerTest, EncryptsTokensAtRest) {
  auto m = manager();
  auto c = m.create(login("alice"));
  ASSERT_TRUE(c);
  std::string raw = rawStore();
  for (const char* secret : {"ACCESS-alice", "REFRESH-alice", "IDTOKEN-alice", "CLAIMSECRET"}) {
    EXPECT_EQ(raw.find(secret), std::string::npos) << secret;
  }
  auto s = m.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->tokens.accessToken, tokens("alice").accessToken);
  EXPECT_EQ(s->tokens.refreshToken, tokens("alice").refreshToken);
  EXPECT_EQ(s->tokens.idToken, tokens("alice").idToken);
  EXPECT_EQ(s->idTokenClaims, claims("alice"));
  EXPECT_EQ(s->tokens.accessTokenExpiresAt, 1'700'003'600);
  EXPECT_EQ(s->subject, "alice");
  EXPECT_EQ(s->email, "alice@example.com");
  EXPECT_EQ(s->providerSid, "sid-1");
  EXPECT_EQ(s->authTime, 1'699'999'000);
  EXPECT_EQ(s->clientIp, "203.0.113.7");
}

TEST_F(SessionManagerTest, AnEndedRecordKeepsNoTokens) {
  // Signed out, a record stays listable for endedRetention, without its token
  // ciphertext: nothing reads the tokens of an ended session again (an expired one is
  // written the same way when a read finds it before the store's TTL hides it).
  auto m = manager();
  const auto ciphertextOf = [&](const std::string& key) {
    auto rec = memory_->get(key);
    EXPECT_TRUE(rec);
    std::string ct;
    EXPECT_TRUE(rec && detail::decodeRecord(*rec, &ct));
    return ct;
  };
  auto out = m.create(login("alice"));
  ASSERT_TRUE(out);
  EXPECT_FALSE(ciphertextOf(out->session.key).empty()) << "an active record holds its tokens";
  ASSERT_TRUE(m.revoke(*m.lookup(out->cookieValue.reveal()), RevokeReason::kLogout));
  EXPECT_EQ(ciphertextOf(out->session.key), "");
  EXPECT_EQ(m.lookup(out->cookieValue.reveal()).error(), Errc::kRevoked);

  auto listed = m.listBySubject("alice");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u) << "still listed after sign-out";
  EXPECT_EQ((*listed)[0].state, SessionState::kRevoked);
}

TEST_F(SessionManagerTest, MalformedCookieNeverReachesTheStore) {
  auto m = manager();
  std::string good = rng().token(32);
  std::string nonCanonical = good.substr(0, 42) + "B";  // unused low bits set
  for (std::string bad :
       {std::string(), std::string("abc"), good + "A", good.substr(1), good.substr(0, 42) + ".",
        good.substr(0, 42) + "=", nonCanonical, std::string(43, ' '),
        std::string("' OR 1=1 --") + std::string(32, 'a')}) {
    int before = store_.calls;
    auto r = m.lookup(bad);
    ASSERT_FALSE(r);
    EXPECT_TRUE(isErr(r.error(), Errc::kNotFound)) << bad;
    EXPECT_EQ(store_.calls, before) << "store called for: " << bad;
  }
}

TEST_F(SessionManagerTest, UnknownWellFormedCookieIsNotFound) {
  auto m = manager();
  auto r = m.lookup(rng().token(32));
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kNotFound));
}

TEST_F(SessionManagerTest, OldKeyStillDecryptsNewKeyEncrypts) {
  auto before = manager();
  auto c = before.create(login("alice"));
  ASSERT_TRUE(c);
  core::Secret key2 = generateKey(rng());
  auto rotated = manager({}, {key2, key1_});
  auto s = rotated.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(s) << "sessions encrypted with the old key survive rotation";
  ASSERT_TRUE(rotated.updateTokens(*s, tokens("fresh")));
  std::string kid2 = TokenCipher::fromKeys({key2})->currentKeyId();
  EXPECT_NE(rawStore().find("g1." + kid2), std::string::npos) << "the newest key encrypts";
  auto r = before.lookup(c->cookieValue.reveal());
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kDecryptFailed));
}

TEST_F(SessionManagerTest, RejectsTamperedOrSwappedCiphertext) {
  auto m = manager();
  auto a = m.create(login("alice"));
  auto b = m.create(login("bob"));
  ASSERT_TRUE(a && b);
  auto recA = *memory_->get(a->session.key);
  auto recB = *memory_->get(b->session.key);
  auto tok = [](const std::string& data) {
    auto at = data.find("\"tok\":\"") + 7;
    return std::make_pair(at, data.find('"', at) - at);
  };
  // Swap: B's (valid) ciphertext in A's record.
  auto [pa, la] = tok(recA.data);
  auto [pb, lb] = tok(recB.data);
  StoreRecord swapped = recA;
  swapped.data = recA.data.substr(0, pa) + recB.data.substr(pb, lb) + recA.data.substr(pa + la);
  ASSERT_TRUE(memory_->put(swapped, 600s, kAnyVersion));
  auto r = m.lookup(a->cookieValue.reveal());
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kDecryptFailed));
  // Flip one ciphertext character in B's record.
  StoreRecord flipped = recB;
  char& ch = flipped.data[pb + lb - 10];
  ch = ch == 'A' ? 'B' : 'A';
  ASSERT_TRUE(memory_->put(flipped, 600s, kAnyVersion));
  r = m.lookup(b->cookieValue.reveal());
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kDecryptFailed));
}

TEST_F(SessionManagerTest, IdleTimeoutSlidesWithThrottledWrites) {
  SessionOptions o;
  o.idleTimeout = 600s;  // write interval: min(60 s, 600 s / 10) = 60 s
  o.absoluteTimeout = 24h;
  auto m = manager(o);
  auto c = m.create(login("alice"));
  ASSERT_TRUE(c);
  int putsBefore = store_.puts;
  // A busy browser: a request every 2 s for 20 minutes, far beyond the idle timeout.
  for (int i = 0; i < 600; ++i) {
    clock_.advance(2s);
    ASSERT_TRUE(m.lookup(c->cookieValue.reveal())) << "request " << i;
  }
  int writes = store_.puts - putsBefore;
  EXPECT_GE(writes, 19);
  EXPECT_LE(writes, 21) << "last-seen written about once a minute, not per request";

  clock_.advance(500s);
  EXPECT_TRUE(m.lookup(c->cookieValue.reveal())) << "idle less than the timeout";
  clock_.advance(601s);
  auto r = m.lookup(c->cookieValue.reveal());
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kNotFound) || isErr(r.error(), Errc::kExpired));
}

TEST_F(SessionManagerTest, AbsoluteTimeoutEndsEvenABusySession) {
  SessionOptions o;
  o.idleTimeout = 600s;
  o.absoluteTimeout = 3600s;
  auto m = manager(o);
  auto c = m.create(login("alice"));
  ASSERT_TRUE(c);
  for (int t = 300; t < 3600; t += 300) {
    clock_.advance(300s);
    ASSERT_TRUE(m.lookup(c->cookieValue.reveal())) << t;
  }
  clock_.advance(300s);
  auto r = m.lookup(c->cookieValue.reveal());
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kNotFound) || isErr(r.error(), Errc::kExpired));
}

TEST_F(SessionManagerTest, PurgeRemovesExpiredSessionsAndAuditsExpiry) {
  SessionOptions o;
  o.idleTimeout = 600s;
  auto m = manager(o);
  auto c = m.create(login("alice"));
  auto keep = m.create(login("bob"));
  clock_.advance(300s);
  ASSERT_TRUE(m.lookup(keep->cookieValue.reveal()));
  clock_.advance(301s);
  auto n = m.purgeExpired();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  ASSERT_EQ(sink_.count(AuditType::kIdleExpiry), 1);
  EXPECT_EQ(sink_.events.back().publicId, c->session.publicId);
  EXPECT_EQ(sink_.events.back().reason, "idle_timeout");
  EXPECT_TRUE(m.lookup(keep->cookieValue.reveal()));
}

TEST_F(SessionManagerTest, MaxPerUserRevokesTheOldest) {
  SessionOptions o;
  o.maxPerUser = 2;
  auto m = manager(o);
  auto first = m.create(login("alice"));
  clock_.advance(1s);
  auto second = m.create(login("alice"));
  clock_.advance(1s);
  auto other = m.create(login("bob"));
  auto third = m.create(login("alice"));
  ASSERT_TRUE(first && second && third && other);
  auto r = m.lookup(first->cookieValue.reveal());
  ASSERT_FALSE(r);
  EXPECT_TRUE(isErr(r.error(), Errc::kRevoked));
  EXPECT_TRUE(m.lookup(second->cookieValue.reveal()));
  EXPECT_TRUE(m.lookup(third->cookieValue.reveal()));
  EXPECT_TRUE(m.lookup(other->cookieValue.reveal()));
  auto listed = m.findByPublicId(first->session.publicId);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->state, SessionState::kRevoked);
  EXPECT_EQ(listed->revokeReason, RevokeReason::kMaxSessions);
}

TEST_F(SessionManagerTest, NeverReusesAnIncomingId) {
  auto m = manager();
  auto a = m.create(login("alice"));
  auto b = m.create(login("alice"));
  EXPECT_NE(a->cookieValue.reveal(), b->cookieValue.reveal());
  EXPECT_NE(a->session.key, b->session.key);
}

TEST_F(SessionManagerTest, UserRevokesOnlyTheirOwnSessionByPublicId) {
  auto m = manager();
  auto alice = m.create(login("alice"));
  auto bob = m.create(login("bob"));
  auto denied = m.revokeByPublicId(bob->session.publicId, RevokeReason::kUser, "alice",
                                   std::string_view("alice"));
  ASSERT_FALSE(denied);
  EXPECT_TRUE(isErr(denied.error(), Errc::kForbidden));
  EXPECT_TRUE(m.lookup(bob->cookieValue.reveal()));

  auto ok = m.revokeByPublicId(alice->session.publicId, RevokeReason::kUser, "alice",
                               std::string_view("alice"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->state, SessionState::kRevoked);
  EXPECT_TRUE(isErr(m.lookup(alice->cookieValue.reveal()).error(), Errc::kRevoked));
  EXPECT_TRUE(isErr(m.revokeByPublicId("0000000000000000", RevokeReason::kAdmin, "root").error(),
                    Errc::kNotFound));
}

TEST_F(SessionManagerTest, RevokingByPublicIdHandsOverTheEndedSessionsRefreshToken) {
  auto m = manager();
  auto alice = m.create(login("alice"));
  auto bob = m.create(login("bob"));
  core::Secret token;
  ASSERT_FALSE(m.revokeByPublicId(bob->session.publicId, RevokeReason::kUser, "alice",
                                  std::string_view("alice"), &token));
  EXPECT_TRUE(token.empty()) << "nothing of a session the caller may not end";

  ASSERT_TRUE(m.revokeByPublicId(alice->session.publicId, RevokeReason::kAdmin, "root",
                                 std::nullopt, &token));
  EXPECT_EQ(token, tokens("alice").refreshToken);

  core::Secret again;
  ASSERT_TRUE(m.revokeByPublicId(alice->session.publicId, RevokeReason::kAdmin, "root",
                                 std::nullopt, &again));
  EXPECT_TRUE(again.empty()) << "an already ended session's token was handed over before";
}

TEST_F(SessionManagerTest, RevokesByUserBySidAndAll) {
  auto m = manager();
  auto a1 = m.create(login("alice", "sid-a"));
  auto a2 = m.create(login("alice", "sid-b"));
  auto b1 = m.create(login("bob", "sid-c"));
  auto c1 = m.create(login("carol", "sid-d"));
  EXPECT_EQ(*m.revokeBySid("sid-a", RevokeReason::kBackchannel), 1u);
  EXPECT_TRUE(isErr(m.lookup(a1->cookieValue.reveal()).error(), Errc::kRevoked));
  EXPECT_TRUE(m.lookup(a2->cookieValue.reveal()));
  EXPECT_EQ(*m.revokeBySubject("alice", RevokeReason::kAdmin, "admin@example.com"), 1u)
      << "already-revoked sessions are not counted again";
  EXPECT_EQ(*m.revokeAll(RevokeReason::kAdmin, "admin@example.com"), 2u);
  EXPECT_TRUE(isErr(m.lookup(b1->cookieValue.reveal()).error(), Errc::kRevoked));
  EXPECT_TRUE(isErr(m.lookup(c1->cookieValue.reveal()).error(), Errc::kRevoked));
  auto listed = m.listBySubject("alice");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u) << "revoked sessions stay listable for the retention";
  for (auto& s : *listed) {
    EXPECT_EQ(s.state, SessionState::kRevoked);
    EXPECT_EQ(s.revokeReason, s.publicId == a1->session.publicId ? RevokeReason::kBackchannel
                                                                 : RevokeReason::kAdmin);
  }
  EXPECT_TRUE((*listed)[0].tokens.accessToken.empty()) << "listings never decrypt tokens";
  clock_.advance(m.options().endedRetention + 1s);
  EXPECT_TRUE(m.listBySubject("alice")->empty());
}

TEST_F(SessionManagerTest, RevokeAllPagesThroughEverySession) {
  auto m = manager();
  std::vector<std::string> cookies;
  for (int i = 0; i < 1203; ++i) {
    cookies.push_back(m.create(login("user" + std::to_string(i % 7)))->cookieValue.reveal());
  }
  auto n = m.revokeAll(RevokeReason::kAdmin, "root");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1203u);
  for (auto& c : cookies) ASSERT_TRUE(isErr(m.lookup(c).error(), Errc::kRevoked));
}

TEST_F(SessionManagerTest, RevocationIsPublished) {
  auto m = manager();
  auto c = m.create(login("alice"));
  std::vector<std::string> got;
  auto sub = store_.subscribeRevoked([&](const std::string& k) { got.push_back(k); });
  ASSERT_TRUE(m.revoke(*m.lookup(c->cookieValue.reveal()), RevokeReason::kLogout));
  EXPECT_EQ(got, std::vector<std::string>{c->session.key});
  EXPECT_EQ(sink_.count(AuditType::kLogout), 1);
}

TEST_F(SessionManagerTest, UpdateTokensIsCompareAndSet) {
  auto m = manager();
  auto c = m.create(login("alice"));
  auto s1 = m.lookup(c->cookieValue.reveal());
  auto s2 = m.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(s1 && s2);
  core::TokenSet fresh;
  fresh.accessToken = core::Secret("ACCESS-2");
  fresh.accessTokenExpiresAt = 42;
  auto u = m.updateTokens(*s1, fresh);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->refreshCount, 1u);
  auto lost = m.updateTokens(*s2, tokens("other"));
  ASSERT_FALSE(lost);
  EXPECT_TRUE(isErr(lost.error(), Errc::kConflict));
  auto now = m.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(now);
  EXPECT_EQ(now->tokens.accessToken.reveal(), "ACCESS-2");
  EXPECT_EQ(now->tokens.refreshToken, tokens("alice").refreshToken)
      << "no new refresh token: the old one is kept (RFC 6749 s6)";
  EXPECT_EQ(now->tokens.idToken, tokens("alice").idToken);
  EXPECT_EQ(now->idTokenClaims, claims("alice")) << "no new ID token: its claims stay";
  EXPECT_EQ(now->tokens.accessTokenExpiresAt, 42);
  EXPECT_EQ(now->refreshCount, 1u);
  EXPECT_EQ(sink_.count(AuditType::kRefresh), 1);
}

TEST_F(SessionManagerTest, UpdateTokensWithANewIdTokenReplacesItsClaims) {
  auto m = manager();
  auto c = m.create(login("alice"));
  auto s = m.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(s);
  auto u = m.updateTokens(*s, tokens("bob"), claims("bob"));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->idTokenClaims, claims("bob"));
  auto again = m.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->tokens.idToken, tokens("bob").idToken);
  EXPECT_EQ(again->tokens.refreshToken, tokens("bob").refreshToken) << "rotated";
  EXPECT_EQ(again->idTokenClaims, claims("bob")) << "the claims are encrypted with the tokens";
  // A new ID token without claims: the old token's claims do not stay with it.
  auto bare = m.updateTokens(*again, tokens("carol"));
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->idTokenClaims, "{}");
}

TEST_F(SessionManagerTest, RefreshLockIsSingleFlight) {
  SessionOptions o;
  o.refreshLockTtl = 10'000ms;
  auto m = manager(o);
  auto c = m.create(login("alice"));
  auto lock = m.lockRefresh(c->session);
  ASSERT_TRUE(lock);
  auto second = m.lockRefresh(c->session);
  ASSERT_FALSE(second);
  EXPECT_TRUE(isErr(second.error(), Errc::kLocked));
  ASSERT_TRUE(m.unlockRefresh(*lock));
  EXPECT_TRUE(m.lockRefresh(c->session));
}

TEST_F(SessionManagerTest, StoredTokensAndAReleasedRefreshLockArePublished) {
  auto m = manager();
  auto c = m.create(login("alice"));
  std::vector<std::string> got;
  auto sub = m.subscribeChanges([&](const std::string& k) { got.push_back(k); });
  auto lock = m.lockRefresh(c->session);
  ASSERT_TRUE(lock);
  EXPECT_TRUE(got.empty()) << "taking the lock tells nobody";
  ASSERT_TRUE(m.updateTokens(c->session, tokens("refreshed")));
  EXPECT_EQ(got, std::vector<std::string>{c->session.key}) << "new tokens: one event";
  ASSERT_TRUE(m.unlockRefresh(*lock));
  EXPECT_EQ(got, (std::vector<std::string>{c->session.key, c->session.key}))
      << "the released lock: another (a waiter may take it)";
}

TEST_F(SessionManagerTest, AnotherManagersRefreshDropsThisCachesCopy) {
  SessionOptions o;
  o.cacheCapacity = 16;
  o.cacheTtl = 3'600'000ms;
  auto a = manager(o);
  auto b = manager(o);  // another instance on the same store
  auto c = a.create(login("alice"));
  auto cached = b.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(cached);
  ASSERT_EQ(b.cachedSessions(), 1u);
  ASSERT_TRUE(a.updateTokens(*a.lookup(c->cookieValue.reveal()), tokens("refreshed")));
  EXPECT_EQ(b.cachedSessions(), 0u) << "the update event dropped B's copy";
  auto seen = b.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->tokens.accessToken.reveal(), tokens("refreshed").accessToken.reveal());
}

TEST_F(SessionManagerTest, AuditEventsNeverContainTokensOrCookies) {
  SessionOptions o;
  o.idleTimeout = 600s;
  o.maxPerUser = 1;
  auto m = manager(o);
  auto c = m.create(login("alice"));
  ASSERT_TRUE(c);
  auto s = m.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(s);
  ASSERT_TRUE(m.updateTokens(*s, tokens("refreshed")));
  // A careless caller passing token text as a reason is neutralised.
  m.recordRefreshFailure(*s, tokens("alice").refreshToken.reveal());
  m.recordLoginFailure(tokens("alice").idToken.reveal(), "198.51.100.1", "curl/8");
  m.recordLoginFailure("nonce_mismatch", "198.51.100.1", "curl/8");
  auto second = m.create(login("alice"));  // revokes the first: max_sessions
  ASSERT_TRUE(m.revoke(*m.lookup(second->cookieValue.reveal()), RevokeReason::kLogout));
  auto third = m.create(login("alice"));
  clock_.advance(601s);
  ASSERT_EQ(*m.purgeExpired(), 1u);

  for (auto t : {AuditType::kLogin, AuditType::kLoginFailure, AuditType::kRefresh,
                 AuditType::kRefreshFailure, AuditType::kLogout, AuditType::kReplaced,
                 AuditType::kIdleExpiry}) {
    EXPECT_GE(sink_.count(t), 1) << auditTypeName(t);
  }
  std::vector<std::string> all = sink_.lines;
  for (auto& l : *store_.recentAudit(1000)) all.push_back(l);
  EXPECT_GE(all.size(), 2 * sink_.lines.size());
  std::vector<std::string> secrets = {c->cookieValue.reveal(),
                                      second->cookieValue.reveal(),
                                      third->cookieValue.reveal(),
                                      c->session.key,
                                      "ACCESS-",
                                      "REFRESH-",
                                      "IDTOKEN-",
                                      "CLAIMSECRET",
                                      "eyJ"};
  for (auto& line : all) {
    for (auto& secret : secrets) {
      EXPECT_EQ(line.find(secret), std::string::npos) << secret << " in " << line;
    }
  }
  EXPECT_NE(sink_.lines.front().find(c->session.publicId), std::string::npos);
  bool sawReason = false;
  for (auto& e : sink_.events) sawReason |= e.reason == "nonce_mismatch";
  EXPECT_TRUE(sawReason);
}

TEST_F(SessionManagerTest, StoreOutageFailsClosed) {
  auto m = manager();
  auto c = m.create(login("alice"));
  // A store that is down everywhere.
  class DownStore final : public SessionStore {
   public:
    std::string_view backend() const override { return "down"; }
    Result<void> ping() override { return Errc::kStoreUnavailable; }
    Result<StoreRecord> get(std::string_view) override { return Errc::kStoreUnavailable; }
    Result<StoreRecord> getByPublicId(std::string_view) override { return Errc::kStoreUnavailable; }
    Result<uint64_t> put(const StoreRecord&, Millis, uint64_t) override {
      return Errc::kStoreUnavailable;
    }
    Result<void> erase(std::string_view) override { return Errc::kStoreUnavailable; }
    Result<std::vector<StoreRecord>> listBySubject(std::string_view) override {
      return Errc::kStoreUnavailable;
    }
    Result<std::vector<StoreRecord>> listBySid(std::string_view) override {
      return Errc::kStoreUnavailable;
    }
    Result<RecordPage> listAll(std::string_view, size_t) override {
      return Errc::kStoreUnavailable;
    }
    Result<std::vector<StoreRecord>> purgeExpired(size_t) override {
      return Errc::kStoreUnavailable;
    }
    Result<bool> tryLock(std::string_view, std::string_view, Millis) override {
      return Errc::kStoreUnavailable;
    }
    Result<bool> extendLock(std::string_view, std::string_view, Millis) override {
      return Errc::kStoreUnavailable;
    }
    Result<void> unlock(std::string_view, std::string_view) override {
      return Errc::kStoreUnavailable;
    }
    Result<bool> putValue(std::string_view, std::string_view, Millis, bool) override {
      return Errc::kStoreUnavailable;
    }
    Result<std::optional<std::string>> takeValue(std::string_view) override {
      return Errc::kStoreUnavailable;
    }
    Result<void> appendAudit(std::string_view) override { return Errc::kStoreUnavailable; }
    Result<std::vector<std::string>> recentAudit(size_t) override {
      return Errc::kStoreUnavailable;
    }
    Result<void> publishRevoked(std::string_view) override { return Errc::kStoreUnavailable; }
    std::unique_ptr<Subscription> subscribeRevoked(
        std::function<void(const std::string&)>) override {
      return nullptr;
    }
  } down;
  SessionManager broken(down, *TokenCipher::fromKeys({key1_}), sink_, clock_, rng());
  auto unavailable = [](const auto& r) {
    return !r && r.error() == make_error_code(Errc::kStoreUnavailable);
  };
  EXPECT_TRUE(unavailable(broken.lookup(c->cookieValue.reveal())));
  EXPECT_TRUE(unavailable(broken.create(login("alice"))));
  EXPECT_TRUE(unavailable(broken.revokeBySubject("alice", RevokeReason::kAdmin)));
  EXPECT_TRUE(unavailable(broken.lockRefresh(c->session)));
  EXPECT_TRUE(unavailable(broken.listAll()));
}

TEST_F(SessionManagerTest, PurgerRunsInTheBackgroundUntilStopped) {
  SessionOptions o;
  o.idleTimeout = 600s;
  auto m = manager(o);
  ASSERT_TRUE(m.create(login("alice")));
  clock_.advance(601s);
  std::mutex mu;
  std::condition_variable cv;
  size_t purged = 0;
  int runs = 0;
  {
    SessionPurger purger(m, 10ms, [&](const Result<size_t>& r) {
      std::lock_guard lock(mu);
      ++runs;
      if (r) purged += *r;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return runs >= 2; }));
  }
  int after = runs;
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(runs, after) << "no run after destruction";
  EXPECT_EQ(purged, 1u);
}

TEST(SpdlogAuditSink, WritesOneJsonLinePerEvent) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "audit-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  logger->set_pattern("%v");
  spdlog::register_logger(logger);
  auto sink = makeSpdlogAuditSink("audit-test");
  AuditEvent e;
  e.type = AuditType::kRevokedByAdmin;
  e.at = 1'700'000'000;
  e.publicId = "0123456789abcdef";
  e.subject = "auth0|alice";
  e.reason = "admin";
  e.actor = "root@example.com";
  sink->write(e);
  spdlog::drop("audit-test");
  EXPECT_EQ(out.str(),
            R"({"event":"session.revoked_by_admin","at":1700000000,"session":"0123456789abcdef",)"
            R"("sub":"auth0|alice","reason":"admin","actor":"root@example.com"})"
            "\n");
}

TEST(AuditEvents, EachReasonASessionEndsForHasItsOwnEventName) {
  const std::pair<RevokeReason, std::string_view> table[] = {
      {RevokeReason::kLogout, "session.logout"},
      {RevokeReason::kBackchannel, "session.backchannel_logout"},
      {RevokeReason::kUser, "session.revoked_by_user"},
      {RevokeReason::kAdmin, "session.revoked_by_admin"},
      {RevokeReason::kMaxSessions, "session.replaced"},
      {RevokeReason::kReplaced, "session.replaced"},
      {RevokeReason::kRefreshFailed, "session.refresh_ended"},
  };
  for (const auto& [reason, name] : table) {
    EXPECT_EQ(auditTypeName(endedEvent(reason)), name) << reasonName(reason);
  }
  std::set<std::string_view> names;
  for (auto t : {AuditType::kLogin, AuditType::kLoginFailure, AuditType::kRefresh,
                 AuditType::kRefreshFailure, AuditType::kLogout, AuditType::kBackchannelLogout,
                 AuditType::kRevokedByUser, AuditType::kRevokedByAdmin, AuditType::kReplaced,
                 AuditType::kRefreshEnded, AuditType::kIdleExpiry, AuditType::kAbsoluteExpiry}) {
    EXPECT_TRUE(names.insert(auditTypeName(t)).second) << auditTypeName(t);
    EXPECT_NE(auditTypeName(t), "session.unknown");
  }
  EXPECT_EQ(parseReason("replaced"), RevokeReason::kReplaced) << "stored and read back";
}

TEST(SessionManagerSqlite, AnotherProcessSeesLoginAndRevocation) {
  testing::TempDir dir;
  core::ManualClock clock;
  NullAuditSink sink;
  auto keys = std::vector<core::Secret>{generateKey(rng())};
  auto storeA = openSqliteStore({dir.file("s.db")}, clock);
  auto storeB = openSqliteStore({dir.file("s.db")}, clock);
  ASSERT_TRUE(storeA && storeB);
  SessionManager a(**storeA, *TokenCipher::fromKeys(keys), sink, clock, rng());
  SessionManager b(**storeB, *TokenCipher::fromKeys(keys), sink, clock, rng());
  auto c = a.create(login("alice"));
  ASSERT_TRUE(c);
  auto onB = b.lookup(c->cookieValue.reveal());
  ASSERT_TRUE(onB);
  EXPECT_EQ(onB->tokens.accessToken, tokens("alice").accessToken);
  ASSERT_TRUE(b.revoke(*onB, RevokeReason::kUser, "alice"));
  EXPECT_TRUE(isErr(a.lookup(c->cookieValue.reveal()).error(), Errc::kRevoked));
}

}  // namespace
}  // namespace authgate::session

namespace authgate::session {
namespace {

// The manager owns the login transactions and the logout-token replay guards; the
// gateway never reaches the key-value store.
TEST_F(SessionManagerTest, LoginTransactionIsWrittenOnceAndTakenOnce) {
  auto m = manager();
  ASSERT_TRUE(*m.putLoginTransaction("txn:a", "state-a", 60s));
  EXPECT_FALSE(*m.putLoginTransaction("txn:a", "other", 60s)) << "never overwritten";
  auto first = m.takeLoginTransaction("txn:a");
  ASSERT_TRUE(first && first->has_value());
  EXPECT_EQ(**first, "state-a");
  EXPECT_FALSE(m.takeLoginTransaction("txn:a")->has_value()) << "a state works once";
  ASSERT_TRUE(*m.putLoginTransaction("txn:b", "state-b", 10s));
  clock_.advance(11s);
  EXPECT_FALSE(m.takeLoginTransaction("txn:b")->has_value()) << "expired";
}

TEST_F(SessionManagerTest, LogoutTokenIsClaimedOncePerIssuerUntilReleased) {
  auto m = manager();
  EXPECT_TRUE(*m.claimLogoutToken("https://op.example", "jti-1", 60s));
  EXPECT_FALSE(*m.claimLogoutToken("https://op.example", "jti-1", 60s)) << "replay";
  EXPECT_TRUE(*m.claimLogoutToken("https://other.example", "jti-1", 60s)) << "per issuer";
  ASSERT_TRUE(m.releaseLogoutToken("https://op.example", "jti-1"));
  EXPECT_TRUE(*m.claimLogoutToken("https://op.example", "jti-1", 60s)) << "a retry after release";
  EXPECT_EQ(rawStore().find("jti-1"), std::string::npos) << "the store keeps only a hash";
}

// Parts may come from different objects, and the index is optional: without it the
// manager still signs in and looks up, and says kNoIndex for what needs the index.
TEST_F(SessionManagerTest, WithoutAnIndexListingsSayNoIndex) {
  auto kvAndRecords = makeMemoryStore(clock_);
  auto busAndAudit = makeMemoryStore(clock_);
  StoreParts parts{*kvAndRecords, *kvAndRecords, nullptr, *busAndAudit, *busAndAudit};
  StoreAuditSink audit(parts.audit, sink_);
  SessionManager m(parts, *TokenCipher::fromKeys({key1_}), audit, clock_, rng());
  auto c = m.create(login("alice"));
  ASSERT_TRUE(c);
  EXPECT_TRUE(m.lookup(c->cookieValue.reveal()));
  EXPECT_EQ(m.listBySubject("alice").error(), make_error_code(Errc::kNoIndex));
  EXPECT_EQ(m.revokeBySid("sid", RevokeReason::kBackchannel).error(),
            make_error_code(Errc::kNoIndex));
  EXPECT_EQ(m.listAll().error(), make_error_code(Errc::kNoIndex));
  EXPECT_EQ(busAndAudit->recentAudit(10)->size(), 1u) << "the login event, in the audit part";
  EXPECT_TRUE(kvAndRecords->recentAudit(10)->empty());
  SessionOptions capped;
  capped.maxPerUser = 1;
  SessionManager withCap(parts, *TokenCipher::fromKeys({key1_}), audit, clock_, rng(), capped);
  EXPECT_EQ(withCap.create(login("bob")).error(), make_error_code(Errc::kNoIndex));
}

}  // namespace
}  // namespace authgate::session
