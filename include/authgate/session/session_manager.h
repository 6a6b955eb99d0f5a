// The session manager: everything above the store's parts (session_store.h). It mints
// cookie values, hashes them into store keys, encrypts tokens, applies the idle and
// absolute timeouts, caps sessions per user, revokes, purges, writes the audit trail,
// and keeps the login transactions and the back-channel logout replay guards (the
// gateway never reaches the key-value store itself). No threads of its own: the server
// calls purgeExpired() periodically.
//
// Every store failure comes back as kStoreUnavailable: callers fail closed (503),
// never treat it as "signed out" (that is how redirect loops start).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/errc.h"
#include "authgate/core/random.h"
#include "authgate/core/secret.h"
#include "authgate/session/audit.h"
#include "authgate/session/errc.h"
#include "authgate/session/session.h"
#include "authgate/session/session_store.h"
#include "authgate/session/token_cipher.h"

namespace authgate::session {

namespace detail {
class SessionCache;
}

using Seconds = std::chrono::seconds;

// The session library's own settings (the binary maps config::SessionSettings here).
struct SessionOptions {
  Seconds idleTimeout{24 * 3600};
  Seconds absoluteTimeout{7 * 24 * 3600};
  int maxPerUser = 0;  // 0: unlimited
  // Last-seen is written at most this often per session, and never more often than
  // idleTimeout / 10, so the idle timeout is exact to within 10%.
  Seconds lastSeenWriteInterval{60};
  // Revoked sessions stay listable (state + reason) this long, then disappear.
  Seconds endedRetention{3600};
  // Longer than the provider's token request timeout, so a refresh in flight keeps
  // the lock (oauth2-proxy's 2 s lock lets a slow refresh be redeemed twice).
  Millis refreshLockTtl{30'000};
  size_t purgeBatch = 1000;
  size_t userAgentMax = 256;
  // Sessions kept decrypted in memory (docs/SESSIONS.md "Session cache"); 0: none, every
  // lookup reads the store. Entries are dropped on revocation (the store's revocation
  // events), when another process wrote to a SQLite file, and after cacheTtl.
  size_t cacheCapacity = 0;
  Millis cacheTtl{30'000};
};

// What the callback knows after every check passed.
struct LoginInfo {
  std::string subject;
  std::string email;
  std::string name;
  std::string preferredUsername;
  std::string providerSid;
  int64_t authTime = 0;
  std::string clientIp;
  std::string userAgent;
  core::TokenSet tokens;             // as the token endpoint issued them
  std::string idTokenClaims = "{}";  // the validated ID token's claims (JSON object text)
};

struct CreatedSession {
  core::Secret cookieValue;  // goes in Set-Cookie, nowhere else
  Session session;
};

struct SessionPage {
  std::vector<Session> sessions;  // tokens not loaded
  std::string nextCursor;         // empty: last page
};

// Held while refreshing one session's tokens; see lockRefresh().
struct RefreshLock {
  std::string name;
  std::string owner;
  std::string key;  // the session's store key
};

class SessionManager {
 public:
  // Over the store's parts; `audit` receives every event (a StoreAuditSink keeps them
  // in parts.audit too).
  SessionManager(StoreParts parts, TokenCipher cipher, AuditSink& audit, const core::Clock& clock,
                 core::Random& random, SessionOptions options = {});
  // Over one backend's parts, events to the store's audit log and then to `next`.
  SessionManager(SessionStore& store, TokenCipher cipher, AuditSink& next, const core::Clock& clock,
                 core::Random& random, SessionOptions options = {});
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // A fresh session for a completed login. The id is always new (never an incoming
  // cookie: no session fixation). With maxPerUser, the user's oldest sessions are
  // revoked (reason max_sessions). Audits `login`.
  Result<CreatedSession> create(const LoginInfo& login);

  // The active session for a cookie value, tokens decrypted. A malformed value is
  // kNotFound without touching the store. kExpired / kRevoked for ended sessions;
  // kStoreUnavailable, kCorruptRecord, kDecryptFailed fail closed. Slides the idle
  // timeout (throttled write). Answered from the session cache when it holds the
  // session and no last-seen write is due.
  // With Lookup::kMemoryOnly (a caller that must not wait, e.g. on an I/O thread) a
  // session the cache cannot answer for is kWouldBlock, and nothing was read or
  // written: the caller repeats the lookup where it may block.
  enum class Lookup { kAny, kMemoryOnly };
  Result<Session> lookup(std::string_view cookieValue, Lookup mode = Lookup::kAny);
  // Sessions in the cache now (for metrics and benchmarks).
  size_t cachedSessions() const;

  // Re-reads a session by key (after taking the refresh lock, another request may
  // have refreshed first). Same checks as lookup, without the last-seen write.
  Result<Session> reload(const Session& s);

  // Refresh single-flight across instances:
  //   lock = lockRefresh(s)      kLocked: someone else is refreshing; wait and reload
  //   s = reload(s)              still needs a refresh?
  //   ... token request ...
  //   updateTokens(s, fresh)     compare-and-set on s.version
  //   unlockRefresh(lock)
  // updateTokens and unlockRefresh each publish a session event (RevocationBus::
  // publishUpdated), which wakes the requests of every instance waiting for this
  // refresh (subscribeChanges) and drops the old copy from every session cache.
  Result<RefreshLock> lockRefresh(const Session& s);
  Result<void> unlockRefresh(const RefreshLock& lock);

  // `onChange(key)` for every session event from any instance sharing the store (or,
  // for memory and SQLite, from this process): the session was revoked, its tokens
  // were replaced, or its refresh lock was released. "" after the channel was
  // interrupted: any session may have changed. Runs on a store-owned thread or on the
  // publisher's; destroy the Subscription before this manager.
  std::unique_ptr<Subscription> subscribeChanges(std::function<void(const std::string&)> onChange);

  // Replaces the tokens if the record is still at `current.version` (kConflict
  // otherwise). An empty refresh token in `fresh` keeps the current one (RFC 6749 s6:
  // the provider may not rotate). A new ID token in `fresh` comes with its validated
  // `idTokenClaims`, which replace the stored claims (empty: "{}"); without one, the
  // current ID token and claims stay (`idTokenClaims` is then ignored). Increments refreshCount;
  // audits `refresh`; publishes a session event (a failed publish is not an error: the
  // tokens are stored, and waiters have a timer).
  Result<Session> updateTokens(const Session& current, const core::TokenSet& fresh,
                               std::string idTokenClaims = {});

  // Ends sessions. Revoked records stay listable for endedRetention; every instance
  // sees the revocation on its next lookup (and a revocation event is published for
  // caches). `actor`: subject (or email) of who asked; empty for the system.
  // reason kLogout audits `logout`, the others `revoke`.
  Result<void> revoke(const Session& s, RevokeReason reason, std::string_view actor = {});
  // `ownerSubject`: when set, only a session of that subject may be revoked
  // (kForbidden otherwise): the user revoking from their own list. `refreshToken`:
  // when set, receives the refresh token of the session this call ended (empty when it
  // had none, was already ended, or no configured key opens it), so the caller can
  // revoke it at the provider.
  Result<Session> revokeByPublicId(std::string_view publicId, RevokeReason reason,
                                   std::string_view actor,
                                   std::optional<std::string_view> ownerSubject = std::nullopt,
                                   core::Secret* refreshToken = nullptr);
  Result<size_t> revokeBySubject(std::string_view subject, RevokeReason reason,
                                 std::string_view actor = {});
  // OpenID Connect Back-Channel Logout 1.0 s2.6: `sid` identifies the provider session.
  Result<size_t> revokeBySid(std::string_view sid, RevokeReason reason,
                             std::string_view actor = {});
  Result<size_t> revokeAll(RevokeReason reason, std::string_view actor = {});

  // Login transactions (the OIDC state's record, written before anyone signed in):
  // false when `key` is taken already (never overwritten). The callback takes it
  // exactly once: of concurrent takes one gets it, the others nullopt.
  Result<bool> putLoginTransaction(std::string_view key, std::string_view value, Millis ttl);
  Result<std::optional<std::string>> takeLoginTransaction(std::string_view key);

  // Back-channel logout replay (s2.6 step 8): the first claim of (issuer, jti) within
  // `ttl` is true, every later one false, on every instance sharing the store. Release
  // lets a retry through when the logout could not be carried out.
  Result<bool> claimLogoutToken(std::string_view issuer, std::string_view jti, Millis ttl);
  Result<void> releaseLogoutToken(std::string_view issuer, std::string_view jti);

  // Listings (tokens never decrypted). Include revoked sessions within retention.
  // kNoIndex when the store has no session index.
  Result<std::vector<Session>> listBySubject(std::string_view subject);
  Result<SessionPage> listAll(std::string_view cursor = {}, size_t limit = 100);
  Result<Session> findByPublicId(std::string_view publicId);

  // Deletes sessions whose store TTL passed and audits `expiry` for those that were
  // still active. Returns how many were removed. Call every minute or so.
  Result<size_t> purgeExpired();

  // Audit entries the callback and refresh paths report. `reason` is an error name.
  void recordLoginFailure(std::string_view reason, std::string_view clientIp,
                          std::string_view userAgent);
  void recordRefreshFailure(const Session& s, std::string_view reason);
  Result<std::vector<std::string>> recentAudit(size_t limit);

  Result<void> ping() { return parts_.kv.ping(); }
  std::string_view backend() const { return parts_.kv.backend(); }

  // Shape of a cookie value this manager mints: base64url of 32 bytes (43 chars).
  static bool isWellFormedCookie(std::string_view cookieValue);
  // Store key of a cookie value: lowercase hex SHA-256.
  static std::string keyOf(std::string_view cookieValue);

  const SessionOptions& options() const { return options_; }

 private:
  // A decoded record with its token ciphertext, which state-only writes keep as is.
  struct Loaded {
    Session session;
    std::string tokenCiphertext;
  };
  int64_t now() const { return clock_.unixSeconds(); }
  Seconds writeInterval() const;
  Millis ttlUntil(int64_t unixSeconds) const;
  Result<Loaded> read(const std::string& key);
  Result<Session> checkActive(Loaded& l);
  // A cached session memory may answer for: active, and no last-seen write due.
  bool servableFromCache(const Session& s) const;
  Result<void> decryptInto(Session& s, const std::string& ciphertext) const;
  Result<uint64_t> write(const Session& s, const std::string& tokenCiphertext,
                         uint64_t expectedVersion, Millis ttl);
  void markExpired(Loaded& l);
  Result<bool> revokeKey(const std::string& key, RevokeReason reason, std::string_view actor,
                         core::Secret* refreshToken = nullptr);
  Result<size_t> revokeRecords(const std::vector<StoreRecord>& recs, RevokeReason reason,
                               std::string_view actor);
  void emit(AuditType type, const Session* s, std::string_view reason, std::string_view actor);
  void emitExpiry(const Session& s, bool absolute);
  Session summary(Session s) const;
  std::vector<Session> summaries(const std::vector<StoreRecord>& recs) const;

  // The cache when it is enabled and its revocation channel is up, else nullptr.
  detail::SessionCache* usableCache() const;
  void uncache(const std::string& key);

  SessionManager(StoreParts parts, TokenCipher cipher, AuditSink& audit,
                 std::unique_ptr<StoreAuditSink> owned, const core::Clock& clock,
                 core::Random& random, SessionOptions options);
  Result<std::vector<StoreRecord>> listIndex(
      Result<std::vector<StoreRecord>> (SessionIndex::*list)(std::string_view),
      std::string_view arg);

  std::unique_ptr<StoreAuditSink> ownedSink_;  // the SessionStore& constructor's
  StoreParts parts_;
  TokenCipher cipher_;
  AuditSink& audit_;
  const core::Clock& clock_;
  core::Random& random_;
  SessionOptions options_;
  std::unique_ptr<detail::SessionCache> cache_;
  std::unique_ptr<Subscription> revocations_;  // feeds cache_; destroyed first
};

}  // namespace authgate::session
