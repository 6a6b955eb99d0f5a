// The Redis store's revocation subscription (SessionStore::subscribeRevoked): SUBSCRIBE
// on its own connection and thread, resubscribing after any failure until destroyed.
// The subscription is not live() while that connection is down, and the callback gets
// "" when it drops and again when it is back (events in between are lost: caches start
// over). Under Sentinel it also resubscribes when the store's generation goes up (the
// master changed), so it listens on the master the store writes to.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "authgate/session/session_store.h"
#include "session/redis/redis_connection.h"

namespace authgate::session::detail {

struct ChannelSource {
  std::function<Context()> connect;      // a configured connection to the master, or null
  std::function<uint64_t()> generation;  // a change means: reconnect
  std::string channel;
  std::chrono::milliseconds firstSubscribeWait{1000};  // bound on the wait in the constructor
};

// Waits (bounded by firstSubscribeWait) for the first SUBSCRIBE, so a publish right
// after this returns is not missed; when Redis is down the thread keeps retrying.
std::unique_ptr<Subscription> subscribeRedisChannel(ChannelSource source,
                                                    std::function<void(const std::string&)> cb);

}  // namespace authgate::session::detail
