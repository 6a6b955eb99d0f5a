#include "session/session_cache.h"

namespace authgate::session::detail {

SessionCache::SessionCache(size_t capacity, std::chrono::milliseconds ttl, size_t shards)
    : capacity_(capacity) {
  if (shards == 0) shards = capacity >= 1024 ? 16 : 1;
  const size_t each = (capacity + shards - 1) / shards;
  for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>(each, ttl));
}

void SessionCache::clear() {
  for (auto& s : shards_) s->clear();
}

size_t SessionCache::size() const {
  size_t n = 0;
  for (const auto& s : shards_) n += s->size();
  return n;
}

void SessionCache::Shard::dropAll() {
  index_.clear();
  lru_.clear();
  ++epoch_;
}

void SessionCache::Shard::syncVersion(std::optional<uint64_t> storeVersion) {
  if (storeVersion != storeVersion_) {
    dropAll();
    storeVersion_ = storeVersion;
  }
}

std::optional<SessionCache::Entry> SessionCache::Shard::get(const std::string& key,
                                                            std::optional<uint64_t> storeVersion) {
  std::lock_guard lock(mu_);
  syncVersion(storeVersion);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  auto node = it->second;
  if (Clock::now() - node->storedAt >= ttl_) {
    index_.erase(it);
    lru_.erase(node);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, node);
  return node->entry;
}

SessionCache::Ticket SessionCache::Shard::ticket(std::optional<uint64_t> storeVersion) {
  std::lock_guard lock(mu_);
  syncVersion(storeVersion);
  return Ticket{epoch_, storeVersion_};
}

void SessionCache::Shard::put(const std::string& key, Entry entry, const Ticket& ticket) {
  std::lock_guard lock(mu_);
  if (ticket.epoch != epoch_ || ticket.storeVersion != storeVersion_) return;
  if (auto it = index_.find(key); it != index_.end()) {
    auto node = it->second;
    node->entry = std::move(entry);
    node->storedAt = Clock::now();
    lru_.splice(lru_.begin(), lru_, node);
    return;
  }
  lru_.push_front(Node{key, std::move(entry), Clock::now()});
  index_.emplace(lru_.front().key, lru_.begin());
  if (lru_.size() > capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void SessionCache::Shard::erase(const std::string& key) {
  std::lock_guard lock(mu_);
  ++epoch_;  // a read in flight may hold the old state
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
}

void SessionCache::Shard::clear() {
  std::lock_guard lock(mu_);
  dropAll();
}

size_t SessionCache::Shard::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace authgate::session::detail
