#include "authgate/jose/jwks_cache.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "authgate/jose/errc.h"

namespace authgate::jose {

JwksCache::JwksCache(std::string url, JwksFetcher fetcher, const core::Clock& clock,
                     JwksCacheOptions options)
    : url_(std::move(url)), fetcher_(std::move(fetcher)), clock_(clock), options_(options) {
  lastError_ = make_error_code(Errc::kJwksUnavailable);
}

std::chrono::seconds JwksCache::ttlFor(const std::optional<std::chrono::seconds>& maxAge) const {
  if (!maxAge) return options_.defaultTtl;
  return std::clamp(*maxAge, options_.minTtl, options_.maxTtl);
}

JwksCacheStats JwksCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::chrono::milliseconds jwksFailureBackoff(unsigned failures, const JwksCacheOptions& options) {
  if (failures == 0) return std::chrono::milliseconds(0);
  std::chrono::milliseconds delay = options.failureBackoff;
  for (unsigned i = 1; i < failures && delay < options.maxFailureBackoff; ++i) delay *= 2;
  return std::min(delay, options.maxFailureBackoff);
}

bool jwksFetchDue(const JwksFetchState& state, JwksNeed need, core::TimePoint now,
                  const JwksCacheOptions& options) {
  if (state.consecutiveFailures > 0 && now < state.retryAt) return false;
  if (!state.haveKeys) return true;
  if (need == JwksNeed::kUnknownKey) {
    return !state.lastUnknownKeyFetch ||
           now - *state.lastUnknownKeyFetch >= options.unknownKidRefetchInterval;
  }
  return now >= state.expiresAt;
}

JwksFetchState jwksAfterFetch(JwksFetchState state, JwksNeed need, bool ok, core::TimePoint started,
                              core::TimePoint done, std::chrono::seconds ttl,
                              const JwksCacheOptions& options) {
  if (ok) {
    state.haveKeys = true;
    state.expiresAt = done + ttl;
    state.consecutiveFailures = 0;
    state.retryAt = {};
    if (need == JwksNeed::kUnknownKey) state.lastUnknownKeyFetch = started;
    return state;
  }
  // Held keys stay in use (provider down or serving garbage); retry after the back-off.
  if (state.consecutiveFailures < std::numeric_limits<unsigned>::max()) {
    ++state.consecutiveFailures;
  }
  state.retryAt = done + jwksFailureBackoff(state.consecutiveFailures, options);
  return state;
}

Result<std::shared_ptr<const KeyStore>> JwksCache::keys() { return acquire(JwksNeed::kRoutine); }

Result<std::shared_ptr<const KeyStore>> JwksCache::refreshForUnknownKey() {
  return acquire(JwksNeed::kUnknownKey);
}

Result<std::shared_ptr<const KeyStore>> JwksCache::acquire(JwksNeed need) {
  std::unique_lock lock(mu_);
  const core::TimePoint now = clock_.now();

  if (inFlight_) {
    // Hot path while a routine refresh runs: a stale set still serves known kids.
    if (current_ && need == JwksNeed::kRoutine) return current_;
    const uint64_t gen = generation_;
    fetched_.wait(lock, [&] { return generation_ != gen; });
    if (current_) return current_;
    return lastError_;
  }

  if (!jwksFetchDue(state_, need, now, options_)) {
    if (current_) return current_;
    return lastError_;
  }

  inFlight_ = true;
  ++stats_.fetches;
  lock.unlock();

  // The fetch runs without the lock; everyone else either uses the current snapshot
  // or waits on `fetched_`.
  Result<KeyStore> parsed = Errc::kJwksFetchFailed;
  std::optional<std::chrono::seconds> maxAge;
  try {
    auto body = fetcher_(url_);
    if (body) {
      maxAge = body->maxAge;
      parsed = parseJwks(body->body, options_.limits);
    } else {
      parsed = make_error_code(Errc::kJwksFetchFailed);
    }
  } catch (...) {
    // The injected fetcher is I/O code; whatever it throws must not leave waiters
    // stuck forever. Fail closed: treat as an unreachable provider.
    parsed = make_error_code(Errc::kJwksFetchFailed);
  }

  lock.lock();
  const core::TimePoint done = clock_.now();
  state_ =
      jwksAfterFetch(state_, need, static_cast<bool>(parsed), now, done, ttlFor(maxAge), options_);
  if (parsed) {
    current_ = std::make_shared<const KeyStore>(std::move(*parsed));
    lastError_ = {};
  } else {
    ++stats_.failures;
    lastError_ = parsed.error();
  }
  inFlight_ = false;
  ++generation_;
  fetched_.notify_all();
  if (current_) return current_;
  return lastError_;
}

Result<VerifiedJwt> JwksCache::verify(std::string_view token, const VerifyPolicy& policy) {
  auto ks = keys();
  if (!ks) return ks.error();
  auto r = verifyJwt(token, **ks, policy, clock_);
  if (r || (r.error() != Errc::kUnknownKid && r.error() != Errc::kNoMatchingKey)) return r;
  // The token may be signed with a key published after our last fetch.
  auto fresh = refreshForUnknownKey();
  if (!fresh || *fresh == *ks) return r;
  return verifyJwt(token, **fresh, policy, clock_);
}

}  // namespace authgate::jose
