// The JWKS cache: protocol logic only. Fetching is injected (the net module passes
// its HTTP client), time is a core::Clock.
//
// - Keys are kept as the response's Cache-Control max-age says, bounded to
//   [5 min, 24 h]; 10 min when the provider says nothing.
// - A token whose kid is unknown triggers one refetch, at most once per 30 s (an
//   attacker inventing kids cannot turn authgate into a JWKS flooder).
// - Concurrent callers that need a fetch wait on the one in flight.
// - When a refresh fails, the last good set stays in use (retried after 30 s).
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
  std::chrono::seconds unknownKidRefetchInterval{30};
  std::chrono::seconds retryAfterFailure{30};
  JwksLimits limits;
};

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
  // refetch happened in the last 30 s, waiting for a fetch already in flight.
  Result<std::shared_ptr<const KeyStore>> refreshForUnknownKey();

  // verifyJwt with this cache's keys; on kUnknownKid / kNoMatchingKey it refreshes
  // once (rate-limited) and retries, so rotation never fails a request.
  Result<VerifiedJwt> verify(std::string_view token, const VerifyPolicy& policy);

  const std::string& url() const { return url_; }
  JwksCacheStats stats() const;

 private:
  enum class Reason { kNormal, kUnknownKey };
  Result<std::shared_ptr<const KeyStore>> acquire(Reason reason);
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
  core::TimePoint expiresAt_{};
  core::TimePoint nextAttempt_{};  // after a failure: no refetch before this
  std::optional<core::TimePoint> lastUnknownKeyFetch_;
  error_code lastError_;
  JwksCacheStats stats_;
};

}  // namespace authgate::jose
