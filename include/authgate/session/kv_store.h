// The key-value part of the store contract: short-lived values with a TTL shared by
// every instance (login transactions, back-channel logout replay guards) and named
// locks with an owner token (refresh single-flight). The session manager is its only
// user; the gateway reaches it through the manager. There is no plain get: nothing
// reads a value without taking it (a login transaction, a replay guard).
//
// Every operation returns a value: kStoreUnavailable when the backend cannot answer.
// Callers fail closed. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "authgate/core/errc.h"
#include "authgate/session/errc.h"

namespace authgate::session {

using Millis = std::chrono::milliseconds;

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;

  // Short backend name for readiness and logs: "memory", "sqlite", "redis".
  virtual std::string_view backend() const = 0;
  // Cheap reachability probe for /readyz.
  virtual Result<void> ping() = 0;

  // Writes `value` under `key` for `ttl`. With `onlyIfAbsent` (compare-and-set against
  // "absent"), an unexpired value is kept and false is returned; otherwise true.
  virtual Result<bool> putValue(std::string_view key, std::string_view value, Millis ttl,
                                bool onlyIfAbsent) = 0;
  // Returns and removes the value in one atomic step: of concurrent takes of one key,
  // exactly one gets it (a state or code used twice fails the second time). nullopt
  // when absent or expired.
  virtual Result<std::optional<std::string>> takeValue(std::string_view key) = 0;

  // A lock shared by every process using the same store: acquired when free, expired
  // or already held by `owner`. Returns false when someone else holds it.
  virtual Result<bool> tryLock(std::string_view name, std::string_view owner, Millis ttl) = 0;
  // Extends the TTL only if `owner` still holds it. Returns whether it did.
  virtual Result<bool> extendLock(std::string_view name, std::string_view owner, Millis ttl) = 0;
  // Releases only if `owner` holds it (compare-and-delete).
  virtual Result<void> unlock(std::string_view name, std::string_view owner) = 0;
};

}  // namespace authgate::session
