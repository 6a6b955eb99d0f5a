// A small bounded LRU of tokens that already passed verifyJwt under one policy, for
// the bearer-token path where the same access token arrives on every API call.
//
// - Keyed by SHA-256 of the token: the cache never holds the token itself.
// - An entry is never returned at or after the token's exp (no leeway here), nor
//   after maxEntryAge, so a revoked signing key stops being trusted quickly.
// - One cache serves one VerifyPolicy: construct it next to the policy it caches
//   for. Tokens without exp, and policies with a nonce or max_age (per-login
//   values), are not cached.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "authgate/core/clock.h"
#include "authgate/jose/jwks_cache.h"
#include "authgate/jose/jwt.h"

namespace authgate::jose {

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(size_t capacity = 1024,
                              std::chrono::seconds maxEntryAge = std::chrono::seconds(300));

  std::shared_ptr<const VerifiedJwt> find(std::string_view token, const core::Clock& clock);
  void insert(std::string_view token, std::shared_ptr<const VerifiedJwt> jwt,
              const core::Clock& clock);
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const VerifiedJwt> jwt;
    int64_t notAfter;  // min(exp, insert time + maxEntryAge), Unix seconds, exclusive
  };
  const size_t capacity_;
  const std::chrono::seconds maxEntryAge_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

// Verifies through the cache: a hit costs one SHA-256 and a map lookup; a miss runs
// JwksCache::verify with `policy` and remembers the result.
class CachingVerifier {
 public:
  CachingVerifier(JwksCache& keys, VerifyPolicy policy, const core::Clock& clock,
                  size_t capacity = 1024);
  Result<std::shared_ptr<const VerifiedJwt>> verify(std::string_view token);
  const VerifyPolicy& policy() const { return policy_; }

 private:
  JwksCache& keys_;
  const VerifyPolicy policy_;
  const core::Clock& clock_;
  VerifiedTokenCache cache_;
};

}  // namespace authgate::jose
