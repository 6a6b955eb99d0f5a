// Single-flight token refresh for rp::RelyingParty (authgate/rp/relying_party.h).
//
// Why single flight matters: with refresh-token rotation (Auth0, RFC 9700 s4.14.2) a
// refresh token used twice revokes the whole token family, so two concurrent refreshes
// of one session log the user out (oauth2-proxy #1006, nextjs-auth0 #1282). The
// Refresher makes every refresh of a session one flight:
//   in-process   one thread per session key does the work; the others wait on its
//                shared result (50 concurrent requests -> one store lock attempt);
//   cross-process SessionManager::lockRefresh (a store lock with owner + TTL, shared by
//                every instance on the same SQLite file, Redis or PostgreSQL), then
//                reload: another instance may have refreshed already. While another
//                holds the lock, a request whose access token is still usable goes on
//                with it (deferred, lock_held); only one whose token is no longer
//                usable waits, woken by the store's session event for that session
//                (RefreshWaiters below), with a timer for a lost event.
// The new refresh token is written (compare-and-set) before the lock is released, so no
// one can read the old one after it was redeemed. The refresh rules themselves (when,
// backoff, Retry-After, claim merging, which failures end a session) are the protocol
// layer's: authgate/oidc/refresh_policy.h.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "authgate/core/token_set.h"
#include "authgate/rp/relying_party.h"
#include "authgate/session/revocation_bus.h"
#include "authgate/session/session.h"

namespace authgate::rp {

// --- Waiting for another holder's refresh ---

// Wakes the requests waiting while another instance (or a stale attempt of this one)
// holds a session's refresh lock. Fed by the store's session events
// (SessionManager::subscribeChanges: new tokens stored, the lock released, revoked;
// "" after the channel was interrupted wakes everyone). A waiter takes its Ticket
// before it first looks at the store, so an event that arrives between a look and the
// wait is not lost. Internally locked.
//
// The wait blocks the calling (pool) thread on a condition variable: the engine cannot
// park a request without a thread (net/http.h). That is why only requests whose access
// token can no longer be used wait at all.
class RefreshWaiters {
 public:
  using Clock = std::chrono::steady_clock;

  class Ticket {
   public:
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

   private:
    friend class RefreshWaiters;
    Ticket(RefreshWaiters& w, std::string key, uint64_t seen, uint64_t seenAll)
        : w_(w), key_(std::move(key)), seen_(seen), seenAll_(seenAll) {}
    RefreshWaiters& w_;
    std::string key_;
    uint64_t seen_;     // the key's events when taken (or at the last wake)
    uint64_t seenAll_;  // "" events then
  };

  // Before the first look at the store for `key`.
  std::unique_ptr<Ticket> watch(const std::string& key);
  // Until an event for the ticket's key (or "") since it was taken or last woken, or
  // `until`. True: woken by an event. Either way the ticket is re-armed from now, so
  // look at the store again before the next wait.
  bool wait(Ticket& t, Clock::time_point until);
  // A session event: `key`'s waiters wake; "" wakes every waiter.
  void notify(const std::string& key);
  // Requests waiting now (for tests).
  size_t waiting() const;

 private:
  struct Entry {
    size_t watchers = 0;
    uint64_t events = 0;
  };
  void release(const std::string& key);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Entry> entries_;  // keys with a waiter
  uint64_t all_ = 0;                                // "" events
  size_t waiting_ = 0;
};

// --- The refresher ---

class Refresher {
 public:
  // `fallback`: how long a waiter sleeps without an event before it looks at the store
  // again (a lost event, a holder that died and left its lock to expire, SQLite
  // instances in other processes, which send no events).
  explicit Refresher(std::chrono::milliseconds fallback = std::chrono::milliseconds(500))
      : fallback_(fallback) {}
  Refresher(const Refresher&) = delete;
  Refresher& operator=(const Refresher&) = delete;

  // For requests that need the access token: refreshes when it is within
  // session.refresh_before_expiry of expiry, else returns `s` unchanged (kNotNeeded).
  RefreshResult ensureFresh(RelyingParty& rp, const session::Session& s);
  // POST /auth/refresh: refreshes now unless a concurrent request just did.
  RefreshResult refreshNow(RelyingParty& rp, const session::Session& s);

  // The session events that wake waiters: subscribes `self` to `sessions`. Destroy the
  // Subscription before the manager; it keeps `self` alive.
  static std::unique_ptr<session::Subscription> listen(session::SessionManager& sessions,
                                                       std::shared_ptr<Refresher> self);
  RefreshWaiters& waiters() { return waiters_; }

 private:
  struct Backoff {
    int failures = 0;
    int64_t notBefore = 0;  // unix seconds
  };

  RefreshResult coalesce(RelyingParty& rp, const session::Session& s, bool force);
  RefreshResult singleFlight(RelyingParty& rp, const session::Session& s, bool force);
  RefreshResult waitForOther(RelyingParty& rp, const session::Session& s, bool force);
  RefreshResult asHolder(RelyingParty& rp, const session::Session& snapshot,
                         const session::Session& current, bool force);
  RefreshResult exchange(RelyingParty& rp, const session::Session& s);
  // `obtained`: tokens the provider just issued that the session may not keep.
  RefreshResult endSession(RelyingParty& rp, const session::Session& s, const error_code& why,
                           const core::TokenSet* obtained = nullptr);
  RefreshResult transient(RelyingParty& rp, const session::Session& s, const error_code& why,
                          std::optional<int64_t> notBefore);
  // When backing off: the result for `s` without asking the provider.
  std::optional<RefreshResult> backingOff(RelyingParty& rp, const session::Session& s);
  void clearBackoff(const std::string& key);

  const std::chrono::milliseconds fallback_;
  RefreshWaiters waiters_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_future<RefreshResult>> inflight_;
  std::unordered_map<std::string, Backoff> backoff_;  // per session key
  int64_t providerNotBefore_ = 0;                     // 429: the whole tenant is limited
};

}  // namespace authgate::rp
