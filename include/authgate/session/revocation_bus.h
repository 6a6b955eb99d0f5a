// The session-events part of the store contract: tells every process sharing the store
// that a session ended or that its tokens changed, so each drops it from its session
// cache and wakes the requests waiting for that session's refresh. The manager's cache
// is trusted only while the bus says it is live.
//
// One channel carries both kinds of event (Redis: one PUBLISH channel; PostgreSQL: one
// NOTIFY channel; memory and SQLite: this object's subscribers): the payload is the
// session's store key either way, and every subscriber does the same with it (drop it,
// read the store again), so a subscriber need not know which kind it was.
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
  // Tells the same subscribers that the session's tokens were replaced (a refresh
  // stored new ones) or that its refresh lock was released: caches drop the old copy,
  // and a request waiting for another holder's refresh looks at the store again. The
  // default sends it as publishRevoked does (the same channel and payload); a backend
  // overrides it only to route it differently.
  virtual Result<void> publishUpdated(std::string_view key) { return publishRevoked(key); }
  // Every event of publishRevoked and publishUpdated, from any process sharing the
  // store (or, for backends without cross-process delivery, from this object).
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
