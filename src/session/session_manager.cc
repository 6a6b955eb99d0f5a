#include "authgate/session/session_manager.h"

#include <algorithm>

#include "authgate/core/base64url.h"
#include "authgate/core/crypto.h"
#include "session/session_cache.h"
#include "session/session_codec.h"

namespace authgate::session {
namespace {

constexpr size_t kIdBytes = 32;       // 256-bit session id
constexpr size_t kCookieChars = 43;   // base64url of 32 bytes, unpadded
constexpr size_t kPublicIdBytes = 8;  // 16 hex characters
constexpr int kRevokeAttempts = 3;

bool isError(const error_code& ec, Errc e) { return ec == make_error_code(e); }

// Result<bool> cannot be built from a bare error_code (bool converts too).
Result<bool> failed(const error_code& ec) { return {boost::system::in_place_error, ec}; }

}  // namespace

SessionManager::SessionManager(StoreParts parts, TokenCipher cipher, AuditSink& audit,
                               const core::Clock& clock, core::Random& random,
                               SessionOptions options)
    : SessionManager(parts, std::move(cipher), audit, nullptr, clock, random, options) {}

SessionManager::SessionManager(SessionStore& store, TokenCipher cipher, AuditSink& next,
                               const core::Clock& clock, core::Random& random,
                               SessionOptions options)
    : SessionManager(store.parts(), std::move(cipher), next,
                     std::make_unique<StoreAuditSink>(store, next), clock, random, options) {}

SessionManager::SessionManager(StoreParts parts, TokenCipher cipher, AuditSink& audit,
                               std::unique_ptr<StoreAuditSink> owned, const core::Clock& clock,
                               core::Random& random, SessionOptions options)
    : ownedSink_(std::move(owned)),
      parts_(parts),
      cipher_(std::move(cipher)),
      audit_(ownedSink_ ? *ownedSink_ : audit),
      clock_(clock),
      random_(random),
      options_(options) {
  if (options_.cacheCapacity > 0) {
    cache_ = std::make_unique<detail::SessionCache>(options_.cacheCapacity, options_.cacheTtl);
    revocations_ =
        parts_.revocations.subscribeRevoked([cache = cache_.get()](const std::string& key) {
          if (key.empty()) {
            cache->clear();
          } else {
            cache->erase(key);
          }
        });
  }
}

SessionManager::~SessionManager() { revocations_.reset(); }

detail::SessionCache* SessionManager::usableCache() const {
  // Without a working revocation channel a cached session could outlive its revocation.
  if (!cache_ || !revocations_ || !revocations_->live()) return nullptr;
  return cache_.get();
}

void SessionManager::uncache(const std::string& key) {
  if (cache_) cache_->erase(key);
}

// Memory answers only for an active session with no write due; expiry and the last-seen
// write go through the store, which has the last word.
bool SessionManager::servableFromCache(const Session& s) const {
  const int64_t t = now();
  return t < s.absoluteExpiresAt && t < s.idleExpiresAt &&
         t - s.lastSeenAt < writeInterval().count();
}

size_t SessionManager::cachedSessions() const { return cache_ ? cache_->size() : 0; }

bool SessionManager::isWellFormedCookie(std::string_view v) {
  if (v.size() != kCookieChars) return false;
  for (char c : v) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  // Canonical encoding only (unused trailing bits zero), so one id has one cookie.
  char raw[kIdBytes];
  return core::base64urlDecodedSize(v.size()) == kIdBytes && core::base64urlDecodeInto(v, raw);
}

std::string SessionManager::keyOf(std::string_view cookieValue) {
  return core::sha256Hex(cookieValue);
}

Seconds SessionManager::writeInterval() const {
  Seconds tenth = options_.idleTimeout / 10;
  Seconds w = std::min(options_.lastSeenWriteInterval, tenth);
  return std::max(w, Seconds(1));
}

Millis SessionManager::ttlUntil(int64_t unixSeconds) const {
  int64_t ms = (unixSeconds - now()) * 1000;
  return Millis(std::max<int64_t>(ms, 1));
}

Result<SessionManager::Loaded> SessionManager::read(const std::string& key) {
  auto rec = parts_.records.get(key);
  if (!rec) return rec.error();
  Loaded l;
  auto s = detail::decodeRecord(*rec, &l.tokenCiphertext);
  if (!s) return s.error();
  l.session = std::move(*s);
  return l;
}

Result<uint64_t> SessionManager::write(const Session& s, const std::string& tokenCiphertext,
                                       uint64_t expectedVersion, Millis ttl) {
  return parts_.records.put(detail::encodeRecord(s, tokenCiphertext), ttl, expectedVersion);
}

Result<void> SessionManager::decryptInto(Session& s, const std::string& ciphertext) const {
  auto plain = cipher_.decrypt(ciphertext, s.key);
  if (!plain) return Errc::kDecryptFailed;
  auto decoded = detail::decodeTokens(*plain);
  if (!decoded) return decoded.error();
  s.tokens = std::move(decoded->tokens);
  s.idTokenClaims = std::move(decoded->idTokenClaims);
  return {};
}

// What an ended record (revoked or expired, kept endedRetention to be listed) holds in
// place of the token ciphertext: nothing. Every read refuses an ended record before it
// decrypts, so its tokens are never needed again, and keeping them would leave the
// encrypted tokens of every signed-out session in the store for another hour (and, in
// the memory store, about 3 KB of heap per logout).
namespace {
const std::string kEndedTokens;
}  // namespace

void SessionManager::markExpired(Loaded& l) {
  Session& s = l.session;
  uncache(s.key);
  s.state = SessionState::kExpired;
  s.endedAt = now();
  // Best effort: the session is refused either way, and purge catches it later. The
  // ended record keeps no tokens (kEndedTokens): nothing reads them again.
  if (auto v = write(s, kEndedTokens, s.version, Millis(options_.endedRetention))) {
    s.version = *v;
  }
  emitExpiry(s, now() >= s.absoluteExpiresAt);
}

// Idle and absolute timeouts, checked on every read even though the store's TTL
// normally hides expired records first: instances' clocks differ.
Result<Session> SessionManager::checkActive(Loaded& l) {
  Session& s = l.session;
  if (s.state == SessionState::kRevoked) return Errc::kRevoked;
  if (s.state == SessionState::kExpired) return Errc::kExpired;
  int64_t t = now();
  if (t >= s.absoluteExpiresAt || t >= s.idleExpiresAt) {
    markExpired(l);
    return Errc::kExpired;
  }
  return s;
}

Result<CreatedSession> SessionManager::create(const LoginInfo& login) {
  if (options_.maxPerUser > 0 && !parts_.index) return Errc::kNoIndex;
  int64_t t = now();
  std::string cookie = random_.token(kIdBytes);
  Session s;
  s.key = keyOf(cookie);
  s.publicId = core::hexEncode(random_.bytes(kPublicIdBytes));
  s.subject = login.subject;
  s.email = login.email;
  s.name = login.name;
  s.preferredUsername = login.preferredUsername;
  s.providerSid = login.providerSid;
  s.createdAt = t;
  s.lastSeenAt = t;
  s.idleExpiresAt = t + options_.idleTimeout.count();
  s.absoluteExpiresAt = t + options_.absoluteTimeout.count();
  s.authTime = login.authTime;
  s.clientIp = login.clientIp;
  s.userAgent = login.userAgent.substr(0, options_.userAgentMax);

  std::string ct =
      cipher_.encrypt(detail::encodeTokens(login.tokens, login.idTokenClaims), s.key, random_);
  auto* cache = usableCache();
  auto ticket = cache ? cache->ticket(s.key, parts_.revocations.externalVersion())
                      : detail::SessionCache::Ticket{};
  auto v = write(s, ct, kMustNotExist, ttlUntil(s.expiresAt()));
  if (!v) return v.error();
  s.version = *v;
  s.tokens = login.tokens;
  s.idTokenClaims = login.idTokenClaims;
  if (cache) cache->put(s.key, {s}, ticket);
  emit(AuditType::kLogin, &s, {}, {});

  // Cap per user after the new session is safely stored, so a failed write never
  // costs the user an existing session.
  if (options_.maxPerUser > 0) {
    auto mine = listIndex(&SessionIndex::listBySubject, s.subject);
    if (!mine) return mine.error();
    std::vector<StoreRecord> active;
    for (auto& r : *mine) {
      if (r.key == s.key) continue;
      auto d = detail::decodeRecord(r, nullptr);
      if (d && d->state == SessionState::kActive) active.push_back(r);
    }
    size_t keep = static_cast<size_t>(options_.maxPerUser) - 1;
    if (active.size() > keep) {
      active.resize(active.size() - keep);  // oldest first: drop the newest `keep`
      auto r = revokeRecords(active, RevokeReason::kMaxSessions, {});
      if (!r) return r.error();
    }
  }
  return CreatedSession{core::Secret(std::move(cookie)), std::move(s)};
}

Result<Session> SessionManager::lookup(std::string_view cookieValue, Lookup mode) {
  if (!isWellFormedCookie(cookieValue)) return Errc::kNotFound;
  const std::string key = keyOf(cookieValue);
  auto* cache = usableCache();
  detail::SessionCache::Ticket ticket;
  if (cache) {
    const auto version = parts_.revocations.externalVersion();
    if (auto hit = cache->get(key, version); hit && servableFromCache(hit->session)) {
      return std::move(hit->session);
    }
    if (mode == Lookup::kMemoryOnly) return Errc::kWouldBlock;
    ticket = cache->ticket(key, version);
  } else if (mode == Lookup::kMemoryOnly) {
    return Errc::kWouldBlock;
  }
  auto l = read(key);
  if (!l) return l.error();
  auto active = checkActive(*l);
  if (!active) return active.error();
  Session& s = l->session;
  // Decrypt before anything is written: a record no configured key opens is refused
  // as it is.
  if (auto d = decryptInto(s, l->tokenCiphertext); !d) return d.error();
  int64_t t = now();
  // Sliding idle timeout, written at most once per writeInterval().
  if (t - s.lastSeenAt >= writeInterval().count()) {
    s.lastSeenAt = t;
    s.idleExpiresAt = t + options_.idleTimeout.count();
    auto v = write(s, l->tokenCiphertext, s.version, ttlUntil(s.expiresAt()));
    if (v) {
      s.version = *v;
    } else if (!isError(v.error(), Errc::kConflict)) {
      return v.error();  // cannot tell whether it is still valid everywhere: fail closed
    } else {
      // Another request wrote first (touch or refresh): the read is still valid, but
      // not the version to cache.
      return std::move(s);
    }
  }
  if (cache) cache->put(key, {s}, ticket);
  return std::move(s);
}

Result<Session> SessionManager::reload(const Session& current) {
  auto* cache = usableCache();
  auto ticket = cache ? cache->ticket(current.key, parts_.revocations.externalVersion())
                      : detail::SessionCache::Ticket{};
  auto l = read(current.key);
  if (!l) return l.error();
  auto active = checkActive(*l);
  if (!active) return active.error();
  if (auto d = decryptInto(l->session, l->tokenCiphertext); !d) return d.error();
  if (cache) cache->put(current.key, {l->session}, ticket);
  return std::move(l->session);
}

Result<RefreshLock> SessionManager::lockRefresh(const Session& s) {
  RefreshLock lock{"refresh:" + s.key, random_.token(16), s.key};
  auto r = parts_.kv.tryLock(lock.name, lock.owner, options_.refreshLockTtl);
  if (!r) return r.error();
  if (!*r) return Errc::kLocked;
  return lock;
}

Result<void> SessionManager::unlockRefresh(const RefreshLock& lock) {
  auto r = parts_.kv.unlock(lock.name, lock.owner);
  // Whatever the refresh did, a waiter may look again now: at new tokens, or at a free
  // lock it may take. Best effort: waiters have a timer for a lost event.
  if (!lock.key.empty()) (void)parts_.revocations.publishUpdated(lock.key);
  return r;
}

std::unique_ptr<Subscription> SessionManager::subscribeChanges(
    std::function<void(const std::string&)> onChange) {
  return parts_.revocations.subscribeRevoked(std::move(onChange));
}

Result<Session> SessionManager::updateTokens(const Session& current, const core::TokenSet& fresh,
                                             std::string idTokenClaims) {
  if (current.state != SessionState::kActive) return Errc::kRevoked;
  Session s = current;
  s.tokens = fresh;
  if (fresh.refreshToken.empty()) s.tokens.refreshToken = current.tokens.refreshToken;
  if (fresh.idToken.empty()) {
    s.tokens.idToken = current.tokens.idToken;
  } else {
    s.idTokenClaims = idTokenClaims.empty() ? std::string("{}") : std::move(idTokenClaims);
  }
  s.refreshCount = current.refreshCount + 1;
  std::string ct = cipher_.encrypt(detail::encodeTokens(s.tokens, s.idTokenClaims), s.key, random_);
  auto* cache = usableCache();
  auto ticket = cache ? cache->ticket(s.key, parts_.revocations.externalVersion())
                      : detail::SessionCache::Ticket{};
  auto v = write(s, ct, current.version, ttlUntil(s.expiresAt()));
  if (!v) {
    uncache(s.key);  // kConflict: what this instance holds is not the latest
    return v.error();
  }
  s.version = *v;
  if (cache) cache->put(s.key, {s}, ticket);
  // Other instances' caches drop their copy; requests waiting for this refresh wake.
  (void)parts_.revocations.publishUpdated(s.key);
  emit(AuditType::kRefresh, &s, {}, {});
  return s;
}

// Returns true when this call ended the session, false when it had already ended.
Result<bool> SessionManager::revokeKey(const std::string& key, RevokeReason reason,
                                       std::string_view actor, core::Secret* refreshToken) {
  // The token of the session this call ends, decrypted from the record it read.
  auto handOver = [&](Loaded& l) {
    if (refreshToken && decryptInto(l.session, l.tokenCiphertext)) {
      *refreshToken = l.session.tokens.refreshToken;
    }
  };
  for (int attempt = 0; attempt < kRevokeAttempts; ++attempt) {
    auto l = read(key);
    if (!l) return failed(l.error());
    Session& s = l->session;
    if (s.state != SessionState::kActive) return false;
    s.state = SessionState::kRevoked;
    s.revokeReason = reason;
    s.endedAt = now();
    auto v = write(s, kEndedTokens, s.version, Millis(options_.endedRetention));
    if (!v && isError(v.error(), Errc::kConflict)) continue;  // touched meanwhile: redo
    if (!v) return failed(v.error());
    uncache(key);
    (void)parts_.revocations.publishRevoked(key);  // every instance's cache drops it
    emit(endedEvent(reason), &s, reasonName(reason), actor);
    handOver(*l);
    return true;
  }
  // Still racing after several attempts: deleting ends it just as surely.
  auto l = read(key);
  if (auto e = parts_.records.erase(key); !e) return failed(e.error());
  uncache(key);
  (void)parts_.revocations.publishRevoked(key);
  if (l) {
    emit(endedEvent(reason), &l->session, reasonName(reason), actor);
    if (l->session.state == SessionState::kActive) handOver(*l);
  }
  return true;
}

Result<void> SessionManager::revoke(const Session& s, RevokeReason reason, std::string_view actor) {
  auto r = revokeKey(s.key, reason, actor);
  if (!r) return r.error();
  return {};
}

Result<size_t> SessionManager::revokeRecords(const std::vector<StoreRecord>& recs,
                                             RevokeReason reason, std::string_view actor) {
  size_t n = 0;
  for (auto& rec : recs) {
    auto r = revokeKey(rec.key, reason, actor);
    if (!r) {
      if (isError(r.error(), Errc::kNotFound)) continue;  // expired meanwhile
      return r.error();
    }
    if (*r) ++n;
  }
  return n;
}

Result<Session> SessionManager::revokeByPublicId(std::string_view publicId, RevokeReason reason,
                                                 std::string_view actor,
                                                 std::optional<std::string_view> ownerSubject,
                                                 core::Secret* refreshToken) {
  auto rec = parts_.records.getByPublicId(publicId);
  if (!rec) return rec.error();
  if (ownerSubject && rec->subject != *ownerSubject) return Errc::kForbidden;
  auto r = revokeKey(rec->key, reason, actor, refreshToken);
  if (!r) return r.error();
  return findByPublicId(publicId);
}

Result<size_t> SessionManager::revokeBySubject(std::string_view subject, RevokeReason reason,
                                               std::string_view actor) {
  auto recs = listIndex(&SessionIndex::listBySubject, subject);
  if (!recs) return recs.error();
  return revokeRecords(*recs, reason, actor);
}

Result<size_t> SessionManager::revokeBySid(std::string_view sid, RevokeReason reason,
                                           std::string_view actor) {
  if (sid.empty()) return size_t{0};
  auto recs = listIndex(&SessionIndex::listBySid, sid);
  if (!recs) return recs.error();
  return revokeRecords(*recs, reason, actor);
}

Result<size_t> SessionManager::revokeAll(RevokeReason reason, std::string_view actor) {
  // Page by page, so memory stays bounded with a million sessions. Revoking rewrites
  // records but never changes keys (nor SQLite's ids), so the cursor stays valid.
  size_t n = 0;
  std::string cursor;
  do {
    auto page =
        parts_.index ? parts_.index->listAll(cursor, 500) : Result<RecordPage>(Errc::kNoIndex);
    if (!page) return page.error();
    auto r = revokeRecords(page->records, reason, actor);
    if (!r) return r.error();
    n += *r;
    cursor = page->nextCursor;
  } while (!cursor.empty());
  return n;
}

Session SessionManager::summary(Session s) const {
  // A session past its timeouts but not yet purged shows as expired.
  if (s.state == SessionState::kActive && now() >= s.expiresAt()) {
    s.state = SessionState::kExpired;
  }
  return s;
}

std::vector<Session> SessionManager::summaries(const std::vector<StoreRecord>& recs) const {
  std::vector<Session> out;
  for (auto& r : recs) {
    auto s = detail::decodeRecord(r, nullptr);
    if (s) out.push_back(summary(std::move(*s)));  // corrupt records are not listable
  }
  return out;
}

Result<std::vector<Session>> SessionManager::listBySubject(std::string_view subject) {
  auto recs = listIndex(&SessionIndex::listBySubject, subject);
  if (!recs) return recs.error();
  return summaries(*recs);
}

Result<SessionPage> SessionManager::listAll(std::string_view cursor, size_t limit) {
  auto page =
      parts_.index ? parts_.index->listAll(cursor, limit) : Result<RecordPage>(Errc::kNoIndex);
  if (!page) return page.error();
  return SessionPage{summaries(page->records), page->nextCursor};
}

Result<Session> SessionManager::findByPublicId(std::string_view publicId) {
  auto rec = parts_.records.getByPublicId(publicId);
  if (!rec) return rec.error();
  auto s = detail::decodeRecord(*rec, nullptr);
  if (!s) return s.error();
  return summary(std::move(*s));
}

Result<size_t> SessionManager::purgeExpired() {
  size_t total = 0;
  for (int batch = 0; batch < 10; ++batch) {
    auto recs = parts_.records.purgeExpired(options_.purgeBatch);
    if (!recs) return recs.error();
    for (auto& r : *recs) {
      auto s = detail::decodeRecord(r, nullptr);
      if (s && s->state == SessionState::kActive) {
        emitExpiry(*s, s->absoluteExpiresAt <= s->idleExpiresAt);
      }
    }
    total += recs->size();
    if (recs->size() < options_.purgeBatch) break;
  }
  return total;
}

void SessionManager::recordLoginFailure(std::string_view reason, std::string_view clientIp,
                                        std::string_view userAgent) {
  Session s;
  s.clientIp = std::string(clientIp);
  s.userAgent = std::string(userAgent.substr(0, options_.userAgentMax));
  emit(AuditType::kLoginFailure, &s, reason, {});
}

void SessionManager::recordRefreshFailure(const Session& s, std::string_view reason) {
  emit(AuditType::kRefreshFailure, &s, reason, {});
}

Result<std::vector<std::string>> SessionManager::recentAudit(size_t limit) {
  return parts_.audit.recentAudit(limit);
}

void SessionManager::emitExpiry(const Session& s, bool absolute) {
  emit(absolute ? AuditType::kAbsoluteExpiry : AuditType::kIdleExpiry, &s,
       absolute ? "absolute_timeout" : "idle_timeout", {});
}

void SessionManager::emit(AuditType type, const Session* s, std::string_view reason,
                          std::string_view actor) {
  AuditEvent e;
  e.type = type;
  e.at = now();
  if (s) {
    e.publicId = s->publicId;
    e.subject = s->subject;
    e.clientIp = s->clientIp;
    e.userAgent = s->userAgent;
  }
  e.reason = sanitizeReason(reason);
  e.actor = std::string(actor);
  audit_.write(e);  // a StoreAuditSink keeps it in the store too
}

Result<std::vector<StoreRecord>> SessionManager::listIndex(
    Result<std::vector<StoreRecord>> (SessionIndex::*list)(std::string_view),
    std::string_view arg) {
  if (!parts_.index) return Errc::kNoIndex;
  return (parts_.index->*list)(arg);
}

Result<bool> SessionManager::putLoginTransaction(std::string_view key, std::string_view value,
                                                 Millis ttl) {
  return parts_.kv.putValue(key, value, ttl, /*onlyIfAbsent=*/true);
}

Result<std::optional<std::string>> SessionManager::takeLoginTransaction(std::string_view key) {
  return parts_.kv.takeValue(key);
}

namespace {
// The replay guard's key: the jti is provider text of any length, so store its hash,
// scoped by issuer (s2.6 step 8 only asks for uniqueness per issuer).
std::string logoutTokenKey(std::string_view issuer, std::string_view jti) {
  return "bcl-jti:" + core::sha256Hex(std::string(issuer) + "\n" + std::string(jti));
}
}  // namespace

Result<bool> SessionManager::claimLogoutToken(std::string_view issuer, std::string_view jti,
                                              Millis ttl) {
  return parts_.kv.putValue(logoutTokenKey(issuer, jti), "1", ttl, /*onlyIfAbsent=*/true);
}

Result<void> SessionManager::releaseLogoutToken(std::string_view issuer, std::string_view jti) {
  auto r = parts_.kv.takeValue(logoutTokenKey(issuer, jti));
  if (!r) return r.error();
  return {};
}

}  // namespace authgate::session
