// A bound on the login transactions this instance has started and not seen completed,
// in all and per client address (session.max_pending_logins, _per_ip). Each /auth/login
// writes a transaction to the store before anyone has authenticated, so without a bound
// anyone can fill the store. A login holds its slot until its callback takes the
// transaction or the transaction's lifetime passes. Per instance: with several
// instances on one store the store holds at most their sum.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace authgate::rp {

class PendingLogins {
 public:
  // 0: no bound of that kind.
  PendingLogins(std::size_t maxTotal, std::size_t maxPerClient, std::chrono::seconds lifetime)
      : maxTotal_(maxTotal), maxPerClient_(maxPerClient), lifetime_(lifetime) {}

  enum class Admit { kOk, kClientFull, kFull };
  // Takes a slot for transaction `key` of `client` at `now` (unix seconds), if one is free.
  Admit admit(std::string_view client, const std::string& key, std::int64_t now);
  // The transaction was taken (its callback came) or never stored: its slot is free.
  void release(const std::string& key);
  std::size_t size() const;

 private:
  struct Slot {
    std::string client;
    std::int64_t expires = 0;
  };
  // Under mu_: drops expired slots, once a minute, or once a second when `force` (a
  // bound is hit and expired slots may make room).
  void expire(std::int64_t now, bool force);
  void drop(std::unordered_map<std::string, Slot>::iterator it);

  const std::size_t maxTotal_;
  const std::size_t maxPerClient_;
  const std::chrono::seconds lifetime_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Slot> slots_;  // transaction key -> holder
  std::unordered_map<std::string, std::size_t> perClient_;
  std::int64_t swept_ = 0;  // when expired slots were last dropped
};

}  // namespace authgate::rp
