#include "authgate/jose/verified_token_cache.h"

#include "authgate/core/crypto.h"

namespace authgate::jose {
namespace {

std::string cacheKey(std::string_view token) {
  auto d = core::sha256(token);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace

VerifiedTokenCache::VerifiedTokenCache(size_t capacity, std::chrono::seconds maxEntryAge)
    : capacity_(capacity == 0 ? 1 : capacity), maxEntryAge_(maxEntryAge) {}

std::shared_ptr<const VerifiedJwt> VerifiedTokenCache::find(std::string_view token,
                                                            const core::Clock& clock) {
  const std::string key = cacheKey(token);
  const int64_t now = clock.unixSeconds();
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  if (now >= it->second->notAfter) {
    lru_.erase(it->second);
    index_.erase(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->jwt;
}

void VerifiedTokenCache::insert(std::string_view token, std::shared_ptr<const VerifiedJwt> jwt,
                                const core::Clock& clock) {
  if (!jwt) return;
  auto exp = jwt->numericClaim("exp");
  if (!exp) return;  // never cache what has no end
  const int64_t now = clock.unixSeconds();
  const int64_t notAfter = std::min(*exp, now + maxEntryAge_.count());
  if (notAfter <= now) return;
  std::string key = cacheKey(token);
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front(Entry{key, std::move(jwt), notAfter});
  index_.emplace(std::move(key), lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

size_t VerifiedTokenCache::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

CachingVerifier::CachingVerifier(JwksCache& keys, VerifyPolicy policy, const core::Clock& clock,
                                 size_t capacity)
    : keys_(keys), policy_(std::move(policy)), clock_(clock), cache_(capacity) {}

Result<std::shared_ptr<const VerifiedJwt>> CachingVerifier::verify(std::string_view token) {
  // Per-login values (nonce, max_age) make a result specific to one request.
  const bool cacheable = !policy_.nonce && !policy_.maxAge;
  if (cacheable) {
    if (auto hit = cache_.find(token, clock_)) return hit;
  }
  auto r = keys_.verify(token, policy_);
  if (!r) return r.error();
  auto jwt = std::make_shared<const VerifiedJwt>(std::move(*r));
  if (cacheable) cache_.insert(token, jwt, clock_);
  return jwt;
}

}  // namespace authgate::jose
