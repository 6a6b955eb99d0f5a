// Redis Sentinel for the Redis store (docs/SESSIONS.md "Redis Sentinel"): which node is
// the master now.
//
// The master's address is cached. It is asked of the sentinels (SENTINEL
// get-master-addr-by-name, with the sentinel credentials) when nothing is cached, and
// a background thread keeps a subscription to `+switch-master` on one sentinel: when
// the sentinels switch our master, the cache holds the new address and the generation
// goes up at once, so the store drops its pooled connections and the next command goes
// to the new master without waiting for an error. The store's own signals (a
// connection error, READONLY, a ROLE that is not master) call forget(), the fallback
// when the subscription missed a switch.
//
// The follower moves to the next sentinel when its sentinel closes the connection or
// stops answering PING, and after (re)subscribing asks the sentinels once, for a switch
// that happened while it was not subscribed. Destroying the object stops the thread
// (within about the connect timeout).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "authgate/session/redis_store.h"
#include "session/redis/redis_connection.h"

namespace authgate::session::detail {

// One pass over the sentinels, starting with `first` (cut short once `*stop`).
struct SentinelAnswer {
  std::optional<RedisStoreOptions::Address> master;
  size_t sentinel = 0;       // the one that answered
  bool authRefused = false;  // some sentinel refused the credentials or asked for some
  std::string why;           // "host:port: reason; ..." for those that did not answer
};
SentinelAnswer askSentinels(const RedisStoreOptions& o, size_t first,
                            const std::atomic<bool>* stop = nullptr);

// Reports through setRedisEventLog's sink (sentinel.cc holds it).
void reportRedisEvent(RedisLogSeverity severity, const std::string& message);

class SentinelMaster {
 public:
  // `o` must outlive this object (the store owns both). Starts the follower thread.
  explicit SentinelMaster(const RedisStoreOptions& o);
  ~SentinelMaster();
  SentinelMaster(const SentinelMaster&) = delete;
  SentinelMaster& operator=(const SentinelMaster&) = delete;

  // The cached master, else the sentinels' answer (nullopt when none answers).
  std::optional<RedisStoreOptions::Address> current();
  // The master may have changed: ask again next time; pooled connections are stale.
  void forget();
  // Goes up whenever the master is forgotten or switched: a pooled connection opened
  // under an older generation is not reused.
  uint64_t generation() const;

 private:
  void follow();
  // Listens on a subscribed connection until it fails or stop; the reason it ended.
  std::string listen(redisContext* c, const std::string& sentinel);
  void onSwitchMaster(std::string_view payload, const std::string& sentinel);
  // Sets the master; true when it changed (then the generation went up).
  bool switchTo(const RedisStoreOptions::Address& a);
  bool stopping() const { return stop_; }
  void pause(std::chrono::milliseconds ms);

  const RedisStoreOptions& o_;
  mutable std::mutex mu_;
  std::optional<RedisStoreOptions::Address> master_;
  uint64_t generation_ = 0;
  std::atomic<size_t> lastSentinel_{0};
  std::atomic<bool> stop_{false};
  std::mutex stopMu_;
  std::condition_variable stopCv_;
  std::thread thread_;
};

}  // namespace authgate::session::detail
