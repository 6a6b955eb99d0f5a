// Active sessions already read and decrypted, by store key: a hit skips the store
// read, the record decode and the AES-GCM decryption (docs/SESSIONS.md "Session
// cache"). Internal to the session module; SessionManager owns one.
//
// Bounded (least recently used goes first) and aged out after `ttl`, so a change whose
// event was lost is seen within `ttl`. Entries are dropped on every session event
// from the store (a revocation, another instance's refresh), on local revokes and
// expiry, and all of them when the store says another process
// wrote (`storeVersion` changed) or the revocation channel was interrupted.
//
// A read that raced with a revocation must not re-insert what it read: put() takes
// the ticket of the moment before the store read and is ignored when anything was
// dropped since.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "authgate/session/session.h"

namespace authgate::session::detail {

class SessionCache {
 public:
  using Clock = std::chrono::steady_clock;

  struct Entry {
    Session session;  // tokens decrypted; writes always re-read the store
  };
  // What put() checks: nothing was dropped from the key's shard since it was taken.
  struct Ticket {
    uint64_t epoch = 0;
    std::optional<uint64_t> storeVersion;
  };

  // `shards`: 0 picks 16 for a capacity of 1,024 or more, else 1. Each shard is an
  // LRU of capacity / shards entries under its own lock, so threads looking up
  // different sessions rarely wait for each other; eviction is least recently used
  // within a shard.
  SessionCache(size_t capacity, std::chrono::milliseconds ttl, size_t shards = 0);

  bool enabled() const { return capacity_ > 0; }

  // The cached session, or nullopt. `storeVersion`: SessionStore::externalVersion(),
  // which drops everything when it differs from the last one seen (each shard drops
  // its entries the first time it sees the new version).
  std::optional<Entry> get(const std::string& key, std::optional<uint64_t> storeVersion) {
    return shardFor(key).get(key, storeVersion);
  }
  // Before reading the store for `put` of the same key.
  Ticket ticket(const std::string& key, std::optional<uint64_t> storeVersion) {
    return shardFor(key).ticket(storeVersion);
  }
  void put(const std::string& key, Entry entry, const Ticket& ticket) {
    if (enabled()) shardFor(key).put(key, std::move(entry), ticket);
  }

  void erase(const std::string& key) { shardFor(key).erase(key); }
  void clear();
  size_t size() const;

 private:
  class Shard {
   public:
    Shard(size_t capacity, std::chrono::milliseconds ttl) : capacity_(capacity), ttl_(ttl) {}
    std::optional<Entry> get(const std::string& key, std::optional<uint64_t> storeVersion);
    Ticket ticket(std::optional<uint64_t> storeVersion);
    void put(const std::string& key, Entry entry, const Ticket& ticket);
    void erase(const std::string& key);
    void clear();
    size_t size() const;

   private:
    struct Node {
      std::string key;
      Entry entry;
      Clock::time_point storedAt;
    };
    // Under mu_: a new store version means another process wrote; nothing cached can
    // be trusted.
    void syncVersion(std::optional<uint64_t> storeVersion);
    void dropAll();

    const size_t capacity_;
    const std::chrono::milliseconds ttl_;
    mutable std::mutex mu_;
    std::list<Node> lru_;                                                    // most recent first
    std::unordered_map<std::string_view, std::list<Node>::iterator> index_;  // views of keys
    uint64_t epoch_ = 0;                                                     // bumped by every drop
    std::optional<uint64_t> storeVersion_;
  };

  Shard& shardFor(std::string_view key) {
    return *shards_[shards_.size() == 1 ? 0 : std::hash<std::string_view>{}(key) % shards_.size()];
  }

  const size_t capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace authgate::session::detail
