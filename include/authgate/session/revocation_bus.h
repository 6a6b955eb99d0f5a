// The revocation part of the store contract: tells every process sharing the store
// that a session ended, so each drops it from its session cache. The manager's cache
// is trusted only while the bus says it is live.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "authgate/core/errc.h"
#include "authgate/session/errc.h"

namespace authgate::session {

// Stops a revocation subscription when destroyed.
class Subscription {
 public:
  virtual ~Subscription() = default;
  // False while the channel is interrupted (events may be lost meanwhile): a cache fed
  // by it must not be trusted then. After an interruption the callback receives ""
  // (drop everything).
  virtual bool live() const { return true; }
};

class RevocationBus {
 public:
  virtual ~RevocationBus() = default;

  // Tells every process sharing the store that a session was revoked so any local
  // cache drops it (Redis: PUBLISH). Backends without cross-process delivery call
  // this object's own subscribers only.
  virtual Result<void> publishRevoked(std::string_view key) = 0;
  // `onRevoked(key)` runs on a store-owned thread (Redis) or on the publisher's thread.
  // Destroy the Subscription before the bus.
  virtual std::unique_ptr<Subscription> subscribeRevoked(
      std::function<void(const std::string&)> onRevoked) = 0;

  // Changes whenever another process may have written to the store since the previous
  // call, so local caches drop what they hold (SQLite: PRAGMA data_version). nullopt
  // for stores whose other writers report through subscribeRevoked (Redis) or that
  // have none (memory). When the store cannot tell, a value never returned before.
  virtual std::optional<uint64_t> externalVersion() { return std::nullopt; }
};

}  // namespace authgate::session
