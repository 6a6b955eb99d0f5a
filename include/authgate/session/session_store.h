// The store contract: opaque bytes with a TTL, two secondary indexes (user, provider
// sid), compare-and-set on a version number, a lock with an owner token and a TTL,
// an append-only audit list and a revocation channel. The manager owns everything
// else (cookies, encryption, timeouts), so a backend stays small.
//
// Every operation returns a value: kStoreUnavailable when the backend cannot answer.
// Callers fail closed. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/errc.h"
#include "authgate/session/errc.h"

namespace authgate::session {

using Millis = std::chrono::milliseconds;

struct StoreRecord {
  std::string key;          // hex SHA-256 of the session id (primary key)
  std::string publicId;     // unique, indexed
  std::string subject;      // indexed (list/revoke by user)
  std::string sid;          // indexed when not empty (back-channel logout)
  int64_t createdAt = 0;    // unix seconds, for ordering
  int64_t expiresAtMs = 0;  // set by put() from the store's clock + ttl
  uint64_t version = 0;     // set by put(); starts at 1
  std::string data;         // opaque to the store
};

struct RecordPage {
  std::vector<StoreRecord> records;
  std::string nextCursor;  // empty: no more
};

// Precondition for put().
inline constexpr uint64_t kAnyVersion = UINT64_MAX;  // unconditional write
inline constexpr uint64_t kMustNotExist = 0;         // create only

// Stops a revocation subscription when destroyed.
class Subscription {
 public:
  virtual ~Subscription() = default;
  // False while the channel is interrupted (events may be lost meanwhile): a cache fed
  // by it must not be trusted then. After an interruption the callback receives ""
  // (drop everything).
  virtual bool live() const { return true; }
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Short backend name for readiness and logs: "memory", "sqlite", "redis".
  virtual std::string_view backend() const = 0;
  // Cheap reachability probe for /readyz.
  virtual Result<void> ping() = 0;

  // kNotFound when absent or past its TTL.
  virtual Result<StoreRecord> get(std::string_view key) = 0;
  virtual Result<StoreRecord> getByPublicId(std::string_view publicId) = 0;
  // Writes `rec` (its version/expiresAtMs are ignored) if the stored version equals
  // `expectedVersion` (kMustNotExist: absent; kAnyVersion: always). Returns the new
  // version, or kConflict.
  virtual Result<uint64_t> put(const StoreRecord& rec, Millis ttl, uint64_t expectedVersion) = 0;
  // Removes the record and its index entries. Absent is not an error.
  virtual Result<void> erase(std::string_view key) = 0;

  // Unexpired records, oldest first.
  virtual Result<std::vector<StoreRecord>> listBySubject(std::string_view subject) = 0;
  virtual Result<std::vector<StoreRecord>> listBySid(std::string_view sid) = 0;
  // Unexpired records, `limit` per page, each exactly once, in an order the backend
  // chooses (key order in memory and Redis, row-id order in SQLite); pass the previous
  // nextCursor, which is opaque. A cursor the backend never issued is an error.
  virtual Result<RecordPage> listAll(std::string_view cursor, size_t limit) = 0;

  // Deletes up to `limit` records past their TTL and returns them (for expiry audit
  // events). Backends with native expiry still index expiries so this sees them.
  virtual Result<std::vector<StoreRecord>> purgeExpired(size_t limit) = 0;

  // A lock shared by every process using the same store: acquired when free, expired
  // or already held by `owner`. Returns false when someone else holds it.
  virtual Result<bool> tryLock(std::string_view name, std::string_view owner, Millis ttl) = 0;
  // Extends the TTL only if `owner` still holds it. Returns whether it did.
  virtual Result<bool> extendLock(std::string_view name, std::string_view owner, Millis ttl) = 0;
  // Releases only if `owner` holds it (compare-and-delete).
  virtual Result<void> unlock(std::string_view name, std::string_view owner) = 0;

  // Short-lived values kept beside the sessions, shared by every instance: login
  // transactions (OIDC state, 10 minutes) and replay guards (back-channel logout jti).
  // Writes `value` under `key` for `ttl`. With `onlyIfAbsent`, an unexpired value is
  // kept and false is returned; otherwise true.
  virtual Result<bool> putValue(std::string_view key, std::string_view value, Millis ttl,
                                bool onlyIfAbsent) = 0;
  // Returns and removes the value in one atomic step: of concurrent takes of one key,
  // exactly one gets it (a state or code used twice fails the second time). nullopt
  // when absent or expired.
  virtual Result<std::optional<std::string>> takeValue(std::string_view key) = 0;

  // Audit: appends one line (already-redacted JSON); the store keeps the newest `cap`.
  virtual Result<void> appendAudit(std::string_view line) = 0;
  // Newest first.
  virtual Result<std::vector<std::string>> recentAudit(size_t limit) = 0;

  // Changes whenever another process may have written to the store since the previous
  // call, so local caches drop what they hold (SQLite: PRAGMA data_version). nullopt
  // for stores whose other writers report through subscribeRevoked (Redis) or that
  // have none (memory). When the store cannot tell, a value never returned before.
  virtual std::optional<uint64_t> externalVersion() { return std::nullopt; }

  // Tells every process sharing the store that a session was revoked so any local
  // cache drops it (Redis: PUBLISH). Backends without cross-process delivery call
  // this object's own subscribers only.
  virtual Result<void> publishRevoked(std::string_view key) = 0;
  // `onRevoked(key)` runs on a store-owned thread (Redis) or on the publisher's thread.
  // Destroy the Subscription before the store.
  virtual std::unique_ptr<Subscription> subscribeRevoked(
      std::function<void(const std::string&)> onRevoked) = 0;
};

}  // namespace authgate::session
