#include "rp/refresher.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "authgate/oidc/access.h"
#include "authgate/oidc/id_token.h"
#include "authgate/oidc/refresh_policy.h"
#include "authgate/oidc/token.h"
#include "authgate/session/errc.h"
#include "authgate/session/session_manager.h"

namespace authgate::rp {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

boost::json::object parseClaims(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

bool isSessionGone(const error_code& ec) {
  return ec == session::Errc::kNotFound || ec == session::Errc::kExpired ||
         ec == session::Errc::kRevoked;
}

RefreshResult withSession(RefreshStatus status, session::Session s) {
  RefreshResult r;
  r.status = status;
  r.session = std::move(s);
  return r;
}

RefreshResult failure(RefreshStatus status, const error_code& ec) {
  RefreshResult r;
  r.status = status;
  r.error = ec;
  return r;
}

// A reload that failed: the session ended meanwhile, or the store is down.
RefreshResult reloadFailed(const error_code& ec) {
  return failure(isSessionGone(ec) ? RefreshStatus::kEnded : RefreshStatus::kStoreUnavailable, ec);
}

void count(RelyingParty& rp, RefreshStatus status, std::string_view reason = {}) {
  if (auto* m = rp.metrics())
    m->counter("authgate_refresh_total", "Token refresh attempts by outcome and reason.",
               {{"result", std::string(refreshStatusName(status))},
                {"reason", reason.empty() ? std::string("none") : std::string(reason)}})
        .inc();
}

// A wait for another holder's refresh ended: by the session's event, or by the timer
// (an event was lost, or there is none to expect).
void countWake(RelyingParty& rp, bool byEvent) {
  if (auto* m = rp.metrics())
    m->counter("authgate_refresh_wait_wakeups_total",
               "Wake-ups of requests waiting for another instance's refresh, by cause.",
               {{"by", byEvent ? "event" : "timer"}})
        .inc();
}

// Someone else refreshed this session since `snapshot` was read.
bool refreshedSince(const session::Session& snapshot, const session::Session& now) {
  return now.refreshCount != snapshot.refreshCount ||
         now.tokens.accessTokenExpiresAt != snapshot.tokens.accessTokenExpiresAt;
}

}  // namespace

// --- Helpers ---

std::string_view refreshStatusName(RefreshStatus s) {
  switch (s) {
    case RefreshStatus::kNotNeeded:
      return "not_needed";
    case RefreshStatus::kRefreshed:
      return "refreshed";
    case RefreshStatus::kDeferred:
      return "deferred";
    case RefreshStatus::kUnavailable:
      return "unavailable";
    case RefreshStatus::kEnded:
      return "ended";
    case RefreshStatus::kStoreUnavailable:
      return "store_unavailable";
    case RefreshStatus::kNoRefreshToken:
      return "no_refresh_token";
  }
  return "unknown";
}

// --- RefreshWaiters ---

std::unique_ptr<RefreshWaiters::Ticket> RefreshWaiters::watch(const std::string& key) {
  std::lock_guard lock(mu_);
  auto& e = entries_[key];
  e.watchers += 1;
  return std::unique_ptr<Ticket>(new Ticket(*this, key, e.events, all_));
}

RefreshWaiters::Ticket::~Ticket() { w_.release(key_); }

void RefreshWaiters::release(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end() && --it->second.watchers == 0) entries_.erase(it);
}

bool RefreshWaiters::wait(Ticket& t, Clock::time_point until) {
  std::unique_lock lock(mu_);
  const auto& e = entries_.at(t.key_);  // held by the ticket
  waiting_ += 1;
  const bool woken =
      cv_.wait_until(lock, until, [&] { return e.events != t.seen_ || all_ != t.seenAll_; });
  waiting_ -= 1;
  t.seen_ = e.events;
  t.seenAll_ = all_;
  return woken;
}

void RefreshWaiters::notify(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    if (key.empty()) {
      all_ += 1;
    } else if (auto it = entries_.find(key); it != entries_.end()) {
      it->second.events += 1;
    } else {
      return;  // nobody waits for this session
    }
  }
  cv_.notify_all();
}

size_t RefreshWaiters::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

// --- Refresher ---

std::unique_ptr<session::Subscription> Refresher::listen(session::SessionManager& sessions,
                                                         std::shared_ptr<Refresher> self) {
  return sessions.subscribeChanges(
      [self = std::move(self)](const std::string& key) { self->waiters_.notify(key); });
}

RefreshResult Refresher::ensureFresh(RelyingParty& rp, const session::Session& s) {
  const auto before = rp.settings().refreshBeforeExpiry;
  if (!oidc::needsRefresh(s.tokens, rp.clock().unixSeconds(), before)) {
    return withSession(RefreshStatus::kNotNeeded, s);
  }
  return coalesce(rp, s, false);
}

RefreshResult Refresher::refreshNow(RelyingParty& rp, const session::Session& s) {
  if (s.tokens.refreshToken.empty()) {
    auto r = withSession(RefreshStatus::kNoRefreshToken, s);
    return r;
  }
  return coalesce(rp, s, true);
}

RefreshResult Refresher::coalesce(RelyingParty& rp, const session::Session& s, bool force) {
  std::promise<RefreshResult> promise;
  std::shared_future<RefreshResult> joined;
  {
    std::lock_guard lock(mu_);
    if (auto it = inflight_.find(s.key); it != inflight_.end()) {
      joined = it->second;
    } else {
      inflight_.emplace(s.key, promise.get_future().share());
    }
  }
  if (joined.valid()) {
    // Another thread of this process is refreshing this session: its result is ours.
    return joined.get();
  }
  RefreshResult result;
  try {
    result = singleFlight(rp, s, force);
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard lock(mu_);
    inflight_.erase(s.key);
    throw;
  }
  promise.set_value(result);
  std::lock_guard lock(mu_);
  inflight_.erase(s.key);
  return result;
}

RefreshResult Refresher::singleFlight(RelyingParty& rp, const session::Session& s, bool force) {
  if (auto wait = backingOff(rp, s)) return *wait;
  auto lock = rp.sessions().lockRefresh(s);
  if (!lock) {
    if (lock.error() == session::Errc::kLocked) return waitForOther(rp, s, force);
    return failure(RefreshStatus::kStoreUnavailable, lock.error());
  }
  RefreshResult result;
  {
    auto current = rp.sessions().reload(s);
    result = current ? asHolder(rp, s, *current, force) : reloadFailed(current.error());
  }
  // Released only after the new tokens are stored (or nothing was redeemed).
  if (auto unlocked = rp.sessions().unlockRefresh(*lock); !unlocked) {
    rp.log(LogLevel::kWarn, "refresh lock release failed (" +
                                std::string(core::errorName(unlocked.error())) +
                                "); it expires by itself");
  }
  return result;
}

// Another process (or a stale attempt of this one) holds the store lock. A request
// whose access token can still be used does not wait: it goes on with that token, and
// the holder stores new ones shortly (an explicit refresh, `force`, waits: new tokens
// are what it asked for). The others wait for the holder's session event (new tokens
// stored, lock released), looking at the store again at least every fallback_ in case
// the event is lost, until the new tokens appear, the lock frees up, or the wait is
// long enough that the holder must have died or timed out.
RefreshResult Refresher::waitForOther(RelyingParty& rp, const session::Session& s, bool force) {
  const bool usable = oidc::accessTokenUsable(s.tokens, rp.clock().unixSeconds());
  if (usable && !force) {
    count(rp, RefreshStatus::kDeferred, "lock_held");
    return withSession(RefreshStatus::kDeferred, s);
  }
  const auto start = RefreshWaiters::Clock::now();
  // The holder's token request ends within the HTTP timeout; a dead holder's lock within
  // its TTL. A request that can still use its token waits only for the former.
  const auto budget =
      usable ? std::chrono::duration_cast<milliseconds>(rp.settings().providerTimeout) +
                   milliseconds(2000)
             : rp.sessions().options().refreshLockTtl + milliseconds(1000);
  const auto deadline = start + budget;
  // Taken before the first look: an event after it wakes the wait below.
  auto ticket = waiters_.watch(s.key);
  for (;;) {
    auto current = rp.sessions().reload(s);
    if (!current) return reloadFailed(current.error());
    if (refreshedSince(s, *current)) {
      count(rp, RefreshStatus::kRefreshed, "waited");
      return withSession(RefreshStatus::kRefreshed, std::move(*current));
    }
    auto lock = rp.sessions().lockRefresh(*current);
    if (lock) {
      // The holder gave up without new tokens (transient failure), or its lock expired:
      // our turn.
      RefreshResult result;
      auto again = rp.sessions().reload(s);
      if (!again) {
        result = reloadFailed(again.error());
      } else if (auto wait = backingOff(rp, *again)) {
        result = *wait;
      } else {
        result = asHolder(rp, s, *again, force);
      }
      (void)rp.sessions().unlockRefresh(*lock);
      return result;
    }
    if (lock.error() != session::Errc::kLocked) {
      return failure(RefreshStatus::kStoreUnavailable, lock.error());
    }
    const auto now = RefreshWaiters::Clock::now();
    if (now >= deadline) break;
    countWake(rp, waiters_.wait(*ticket, std::min(deadline, now + fallback_)));
  }
  auto timeout = oidc::make_error_code(oidc::Errc::kTokenEndpointUnavailable);
  if (usable) {
    count(rp, RefreshStatus::kDeferred, "lock_wait");
    auto r = withSession(RefreshStatus::kDeferred, s);
    r.error = timeout;
    return r;
  }
  auto r = failure(RefreshStatus::kUnavailable, timeout);
  r.retryAfter = 1;
  count(rp, RefreshStatus::kUnavailable, "lock_wait");
  return r;
}

RefreshResult Refresher::asHolder(RelyingParty& rp, const session::Session& snapshot,
                                  const session::Session& current, bool force) {
  // Another request finished a refresh between our read and our lock: use its tokens
  // (this is what keeps a rotated refresh token from being redeemed twice).
  if (refreshedSince(snapshot, current)) return withSession(RefreshStatus::kRefreshed, current);
  if (!force && !oidc::needsRefresh(current.tokens, rp.clock().unixSeconds(),
                                    rp.settings().refreshBeforeExpiry)) {
    return withSession(RefreshStatus::kNotNeeded, current);
  }
  if (current.tokens.refreshToken.empty()) {
    return withSession(RefreshStatus::kNoRefreshToken, current);
  }
  return exchange(rp, current);
}

RefreshResult Refresher::exchange(RelyingParty& rp, const session::Session& s) {
  auto metadata = rp.provider().metadata();
  if (!metadata) return transient(rp, s, metadata.error(), std::nullopt);

  // RFC 6749 s6: grant_type=refresh_token with client authentication.
  auto build = [&] {
    return oidc::buildRefreshRequest((*metadata)->token_endpoint, rp.settings().client,
                                     s.tokens.refreshToken,
                                     oidc::freshClientAuth(rp.clock(), rp.random()));
  };
  auto request = build();
  if (!request) return transient(rp, s, request.error(), std::nullopt);
  auto response = rp.provider().post(*request, build);
  if (!response) return transient(rp, s, response.error(), std::nullopt);
  auto tokens = oidc::parseTokenResponse(
      static_cast<int>(response->status), response->body, oidc::Grant::kRefreshToken, rp.clock(),
      rp.provider().dpop() ? oidc::TokenBinding::kDpop : oidc::TokenBinding::kBearer);
  if (!tokens) {
    rp.log(LogLevel::kWarn,
           "token endpoint refused a refresh of session " + s.publicId + ": " +
               oidc::describeTokenEndpointFailure(
                   static_cast<int>(response->status), response->body,
                   {s.tokens.refreshToken.reveal(), rp.settings().client.client_secret.reveal()}));
    if (oidc::classifyRefreshError(tokens.error()) == oidc::RefreshFailure::kEndSession) {
      return endSession(rp, s, tokens.error());
    }
    auto notBefore = oidc::providerNotBefore(response->header("retry-after"),
                                             response->header("x-ratelimit-reset"),
                                             rp.clock().unixSeconds(), seconds(3600));
    if (response->status == 429) {
      // Auth0's limits are per tenant (and per endpoint): hold every session back.
      std::lock_guard lock(mu_);
      providerNotBefore_ =
          std::max(providerNotBefore_, notBefore.value_or(rp.clock().unixSeconds() + 1));
    }
    return transient(rp, s, tokens.error(), notBefore);
  }

  // The response's tokens are the session's from here on: moved, not copied.
  core::TokenSet fresh = std::move(tokens->tokens);
  std::string freshClaims;
  if (!fresh.idToken.empty()) {
    // OIDC Core s12.2: a new ID token is validated like the first (signature, iss, aud,
    // exp, iat, at_hash) and must name the same iss, sub, aud and azp.
    const auto stored = parseClaims(s.idTokenClaims);
    const auto expect = oidc::refreshIdTokenExpectations(rp.settings().client);
    auto idToken = rp.provider().withKeys<oidc::ValidatedIdToken>([&](const jose::KeyStore& keys) {
      return oidc::validateRefreshedIdToken(fresh.idToken.reveal(), keys, expect, stored,
                                            rp.clock(), &fresh.accessToken);
    });
    if (!idToken) return endSession(rp, s, idToken.error(), &fresh);
    auto merged = oidc::mergeRefreshedClaims(stored, idToken->claims);
    // Access rules again: the user may have lost the role or the domain since login.
    auto decision = oidc::evaluateAccess(rp.settings().access, merged);
    if (!decision) return endSession(rp, s, oidc::make_error_code(decision.reason), &fresh);
    freshClaims = boost::json::serialize(merged);
  }

  // Store before anyone else may look: we still hold the lock. A conflict is a
  // concurrent last-seen write or revocation; reread and write again. Tokens that
  // cannot be stored (the session ended meanwhile, or the store keeps failing) are
  // revoked at the provider: nobody holds them any more, and a live grant nobody holds
  // is still a credential.
  auto ended = [&](const error_code& why) {
    rp.log(LogLevel::kWarn,
           "session " + s.publicId + " ended during its refresh; the new tokens are revoked");
    rp.revokeRefreshToken(oidc::liveRefreshToken(s.tokens, fresh));
    return reloadFailed(why);
  };
  session::Session base = s;
  for (int attempt = 0;; ++attempt) {
    auto updated = rp.sessions().updateTokens(base, fresh, freshClaims);
    if (updated) {
      clearBackoff(s.key);
      count(rp, RefreshStatus::kRefreshed);
      return withSession(RefreshStatus::kRefreshed, std::move(*updated));
    }
    const auto& ec = updated.error();
    if (isSessionGone(ec)) return ended(ec);
    if (attempt >= 4 ||
        (ec != session::Errc::kConflict && ec != session::Errc::kStoreUnavailable)) {
      rp.log(LogLevel::kError, "refreshed tokens of session " + s.publicId +
                                   " could not be stored: " + std::string(core::errorName(ec)));
      // Only a rotated token is orphaned: without rotation the session still holds it.
      if (!fresh.refreshToken.empty() && fresh.refreshToken != s.tokens.refreshToken) {
        rp.revokeRefreshToken(fresh.refreshToken);
      }
      return reloadFailed(ec);
    }
    if (ec == session::Errc::kStoreUnavailable) {
      std::this_thread::sleep_for(milliseconds(50 << attempt));
    }
    auto again = rp.sessions().reload(s);
    if (!again) {
      if (isSessionGone(again.error())) return ended(again.error());
      continue;
    }
    base = std::move(*again);
  }
}

RefreshResult Refresher::endSession(RelyingParty& rp, const session::Session& s,
                                    const error_code& why, const core::TokenSet* obtained) {
  const auto reason = core::errorName(why);
  // The provider answered with tokens the session may not keep (an ID token that fails
  // validation, access rules no longer met): its grant is alive, so end it there too.
  if (obtained) rp.revokeRefreshToken(oidc::liveRefreshToken(s.tokens, *obtained));
  rp.log(LogLevel::kWarn, "refresh of session " + s.publicId + " refused (" + std::string(reason) +
                              "): session ended");
  rp.sessions().recordRefreshFailure(s, reason);
  clearBackoff(s.key);
  count(rp, RefreshStatus::kEnded, reason);
  if (auto revoked = rp.sessions().revoke(s, session::RevokeReason::kRefreshFailed); !revoked) {
    if (!isSessionGone(revoked.error())) {
      // The grant is dead either way; the next refresh attempt will end it again.
      return failure(RefreshStatus::kStoreUnavailable, revoked.error());
    }
  }
  return failure(RefreshStatus::kEnded, why);
}

RefreshResult Refresher::transient(RelyingParty& rp, const session::Session& s,
                                   const error_code& why, std::optional<int64_t> notBefore) {
  const auto now = rp.clock().unixSeconds();
  const auto reason = core::errorName(why);
  int64_t until = 0;
  {
    std::lock_guard lock(mu_);
    auto& b = backoff_[s.key];
    b.failures += 1;
    until = std::max(now + oidc::backoffDelay(b.failures).count(), notBefore.value_or(0));
    b.notBefore = until;
  }
  rp.log(LogLevel::kWarn, "refresh of session " + s.publicId + " failed (" + std::string(reason) +
                              "); session kept, next attempt in " + std::to_string(until - now) +
                              " s");
  rp.sessions().recordRefreshFailure(s, reason);
  if (oidc::accessTokenUsable(s.tokens, now)) {
    count(rp, RefreshStatus::kDeferred, reason);
    auto r = withSession(RefreshStatus::kDeferred, s);
    r.error = why;
    return r;
  }
  count(rp, RefreshStatus::kUnavailable, reason);
  auto r = failure(RefreshStatus::kUnavailable, why);
  r.retryAfter = std::max<int64_t>(1, until - now);
  return r;
}

std::optional<RefreshResult> Refresher::backingOff(RelyingParty& rp, const session::Session& s) {
  const auto now = rp.clock().unixSeconds();
  int64_t until = 0;
  {
    std::lock_guard lock(mu_);
    until = providerNotBefore_;
    if (auto it = backoff_.find(s.key); it != backoff_.end()) {
      until = std::max(until, it->second.notBefore);
    }
  }
  if (until <= now) return std::nullopt;
  const auto why = oidc::make_error_code(oidc::Errc::kTokenEndpointUnavailable);
  if (oidc::accessTokenUsable(s.tokens, now)) {
    auto r = withSession(RefreshStatus::kDeferred, s);
    r.error = why;
    return r;
  }
  auto r = failure(RefreshStatus::kUnavailable, why);
  r.retryAfter = until - now;
  return r;
}

void Refresher::clearBackoff(const std::string& key) {
  std::lock_guard lock(mu_);
  backoff_.erase(key);
}

}  // namespace authgate::rp
