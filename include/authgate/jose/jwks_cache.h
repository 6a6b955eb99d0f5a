// The JWKS cache: protocol logic only. Fetching is injected (the net module passes
// its HTTP client), time is a core::Clock.
//
// - Keys are kept as the response's Cache-Control max-age says, bounded to
//   [5 min, 24 h]; 10 min when the provider says nothing.
// - A token whose kid is unknown triggers one refetch; after a successful one, no other
//   for 30 s (an attacker inventing kids cannot turn authgate into a JWKS flooder).
// - Concurrent callers that need a fetch wait on the one in flight.
// - While fetches fail, the next waits an exponential back-off: 250 ms after the first
//   failure, doubling up to 10 s, reset by a success; the last good set stays in use.
//   So an endpoint that answers again is used within a second or two.
// - The decisions are pure functions of a JwksFetchState (jwksFetchDue, jwksAfterFetch).
// - Lookups of cached keys take a mutex only to copy a shared_ptr snapshot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "authgate/core/clock.h"
#include "authgate/core/error.h"
#include "authgate/jose/jwk.h"
#include "authgate/jose/jwt.h"

namespace authgate::jose {

struct FetchedJwks {
  std::string body;
  std::optional<std::chrono::seconds> maxAge;  // from Cache-Control, if any
};

using JwksFetcher = std::function<Result<FetchedJwks>(const std::string& url)>;

struct JwksCacheOptions {
  std::chrono::seconds defaultTtl{600};
  std::chrono::seconds minTtl{300};
  std::chrono::seconds maxTtl{86400};
  // After a successful fetch for an unknown kid: no other such fetch for this long.
  std::chrono::seconds unknownKidRefetchInterval{30};
  // After n consecutive failed fetches: none for failureBackoff * 2^(n-1), at most
  // maxFailureBackoff.
  std::chrono::milliseconds failureBackoff{250};
  std::chrono::milliseconds maxFailureBackoff{10000};
  JwksLimits limits;
};

// --- The refetch policy: values in, values out. ---

enum class JwksNeed {
  kRoutine,     // keys for a token: fetch when none are held or they expired
  kUnknownKey,  // a token's kid (or alg) fits no held key
};

struct JwksFetchState {
  bool haveKeys = false;
  core::TimePoint expiresAt{};
  unsigned consecutiveFailures = 0;
  core::TimePoint retryAt{};  // while failing: no fetch before this
  // When the last successful fetch for an unknown kid started.
  std::optional<core::TimePoint> lastUnknownKeyFetch;
};

// The wait after `failures` consecutive failed fetches (0 for none).
std::chrono::milliseconds jwksFailureBackoff(unsigned failures, const JwksCacheOptions& options);

// Whether a caller with this need may fetch now. While fetches fail nothing is fetched
// before retryAt, for either need; the unknown-kid limit counts successful fetches only.
bool jwksFetchDue(const JwksFetchState& state, JwksNeed need, core::TimePoint now,
                  const JwksCacheOptions& options);

// The state after a fetch that started at `started` and ended at `done`: a success holds
// the keys for `ttl` and clears the failures; a failure keeps any held keys and sets
// retryAt by jwksFailureBackoff.
JwksFetchState jwksAfterFetch(JwksFetchState state, JwksNeed need, bool ok, core::TimePoint started,
                              core::TimePoint done, std::chrono::seconds ttl,
                              const JwksCacheOptions& options);

struct JwksCacheStats {
  uint64_t fetches = 0;
  uint64_t failures = 0;
};

class JwksCache {
 public:
  JwksCache(std::string url, JwksFetcher fetcher, const core::Clock& clock,
            JwksCacheOptions options = {});
  JwksCache(const JwksCache&) = delete;
  JwksCache& operator=(const JwksCache&) = delete;

  // The current key set: fetched on first use and when expired (the stale set keeps
  // serving while another caller refreshes). Fails only when no set was ever loaded.
  Result<std::shared_ptr<const KeyStore>> keys();

  // For a token whose kid (or alg) fits no cached key: refetches unless one such
  // refetch succeeded in the last 30 s or fetches are failing and backing off, waiting
  // for a fetch already in flight.
  Result<std::shared_ptr<const KeyStore>> refreshForUnknownKey();

  // verifyJwt with this cache's keys; on kUnknownKid / kNoMatchingKey it refreshes
  // once (rate-limited) and retries, so rotation never fails a request.
  Result<VerifiedJwt> verify(std::string_view token, const VerifyPolicy& policy);

  const std::string& url() const { return url_; }
  JwksCacheStats stats() const;

 private:
  Result<std::shared_ptr<const KeyStore>> acquire(JwksNeed need);
  std::chrono::seconds ttlFor(const std::optional<std::chrono::seconds>& maxAge) const;

  const std::string url_;
  const JwksFetcher fetcher_;
  const core::Clock& clock_;
  const JwksCacheOptions options_;

  mutable std::mutex mu_;
  std::condition_variable fetched_;
  bool inFlight_ = false;
  uint64_t generation_ = 0;  // bumped when a fetch completes
  std::shared_ptr<const KeyStore> current_;
  JwksFetchState state_;
  error_code lastError_;
  JwksCacheStats stats_;
};

}  // namespace authgate::jose
