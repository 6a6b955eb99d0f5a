#include "rp/pending_logins.h"

namespace authgate::rp {

PendingLogins::Admit PendingLogins::admit(std::string_view client, const std::string& key,
                                          std::int64_t now) {
  if (maxTotal_ == 0 && maxPerClient_ == 0) return Admit::kOk;
  std::lock_guard lock(mu_);
  expire(now, false);
  auto full = [&] {
    if (maxTotal_ > 0 && slots_.size() >= maxTotal_) return Admit::kFull;
    auto c = perClient_.find(std::string(client));
    if (maxPerClient_ > 0 && c != perClient_.end() && c->second >= maxPerClient_) {
      return Admit::kClientFull;
    }
    return Admit::kOk;
  };
  if (full() != Admit::kOk) expire(now, true);  // expired slots may make room
  if (auto a = full(); a != Admit::kOk) return a;
  if (slots_.emplace(key, Slot{std::string(client), now + lifetime_.count()}).second) {
    ++perClient_[std::string(client)];
  }
  return Admit::kOk;
}

void PendingLogins::release(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = slots_.find(key); it != slots_.end()) drop(it);
}

std::size_t PendingLogins::size() const {
  std::lock_guard lock(mu_);
  return slots_.size();
}

void PendingLogins::drop(std::unordered_map<std::string, Slot>::iterator it) {
  if (auto c = perClient_.find(it->second.client); c != perClient_.end() && --c->second == 0) {
    perClient_.erase(c);
  }
  slots_.erase(it);
}

void PendingLogins::expire(std::int64_t now, bool force) {
  // At most once a second when forced: a flood that keeps the bound full pays one
  // sweep a second, not one per refused login.
  if (now - swept_ < (force ? 1 : 60)) return;
  swept_ = now;
  for (auto it = slots_.begin(); it != slots_.end();) {
    auto next = std::next(it);
    if (it->second.expires <= now) drop(it);
    it = next;
  }
}

}  // namespace authgate::rp
