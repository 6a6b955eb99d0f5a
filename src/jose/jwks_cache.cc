#include "authgate/jose/jwks_cache.h"

#include <algorithm>
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

Result<std::shared_ptr<const KeyStore>> JwksCache::keys() { return acquire(Reason::kNormal); }

Result<std::shared_ptr<const KeyStore>> JwksCache::refreshForUnknownKey() {
  return acquire(Reason::kUnknownKey);
}

Result<std::shared_ptr<const KeyStore>> JwksCache::acquire(Reason reason) {
  std::unique_lock lock(mu_);
  const core::TimePoint now = clock_.now();

  if (inFlight_) {
    // Hot path while a routine refresh runs: a stale set still serves known kids.
    if (current_ && reason == Reason::kNormal) return current_;
    const uint64_t gen = generation_;
    fetched_.wait(lock, [&] { return generation_ != gen; });
    if (current_) return current_;
    return lastError_;
  }

  bool needFetch = false;
  if (!current_) {
    needFetch = now >= nextAttempt_;
  } else if (reason == Reason::kUnknownKey) {
    needFetch =
        !lastUnknownKeyFetch_ || now - *lastUnknownKeyFetch_ >= options_.unknownKidRefetchInterval;
  } else {
    needFetch = now >= expiresAt_ && now >= nextAttempt_;
  }
  if (!needFetch) {
    if (current_) return current_;
    return lastError_;
  }
  if (reason == Reason::kUnknownKey) lastUnknownKeyFetch_ = now;

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
  if (parsed) {
    current_ = std::make_shared<const KeyStore>(std::move(*parsed));
    expiresAt_ = done + ttlFor(maxAge);
    nextAttempt_ = {};
    lastError_ = {};
  } else {
    // Keep the last good set (provider down or serving garbage), retry later.
    ++stats_.failures;
    lastError_ = parsed.error();
    nextAttempt_ = done + options_.retryAfterFailure;
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
