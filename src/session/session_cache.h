// Active sessions already read and decrypted, by store key: a hit skips the store
// read, the record decode and the AES-GCM decryption (docs/SESSIONS.md "Session
// cache"). Internal to the session module; SessionManager owns one.
//
// Bounded (least recently used goes first) and aged out after `ttl`, so a change no
// event reports (another instance refreshed the tokens) is seen within `ttl`. Entries
// are dropped on every event that ends a session (revocation events from the store,
// local revokes and expiry), and all of them when the store says another process
// wrote (`storeVersion` changed) or the revocation channel was interrupted.
//
// A read that raced with a revocation must not re-insert what it read: put() takes
// the ticket of the moment before the store read and is ignored when anything was
// dropped since.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "authgate/session/session.h"

namespace authgate::session::detail {

class SessionCache {
 public:
  using Clock = std::chrono::steady_clock;

  struct Entry {
    Session session;  // tokens decrypted; writes always re-read the store
  };
  // What put() checks: nothing was dropped since it was taken.
  struct Ticket {
    uint64_t epoch = 0;
    std::optional<uint64_t> storeVersion;
  };

  SessionCache(size_t capacity, std::chrono::milliseconds ttl) : capacity_(capacity), ttl_(ttl) {}

  bool enabled() const { return capacity_ > 0; }

  // The cached session, or nullopt. `storeVersion`: SessionStore::externalVersion(),
  // which drops everything when it differs from the last one seen.
  std::optional<Entry> get(const std::string& key, std::optional<uint64_t> storeVersion);
  // Whether a fresh entry for `key` exists that `usable` accepts, without copying it.
  template <class Pred>
  bool holds(const std::string& key, std::optional<uint64_t> storeVersion, Pred usable) {
    std::lock_guard lock(mu_);
    syncVersion(storeVersion);
    auto it = index_.find(key);
    return it != index_.end() && Clock::now() - it->second->storedAt < ttl_ &&
           usable(it->second->entry.session);
  }
  // Before reading the store for `put`.
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
  // Under mu_: a new store version means another process wrote; nothing cached can be
  // trusted.
  void syncVersion(std::optional<uint64_t> storeVersion);
  void dropAll();

  const size_t capacity_;
  const std::chrono::milliseconds ttl_;
  mutable std::mutex mu_;
  std::list<Node> lru_;                                                    // most recent first
  std::unordered_map<std::string_view, std::list<Node>::iterator> index_;  // views of Node::key
  uint64_t epoch_ = 0;                                                     // bumped by every drop
  std::optional<uint64_t> storeVersion_;
};

}  // namespace authgate::session::detail
