#include "authgate/session/session_purger.h"

namespace authgate::session {

SessionPurger::SessionPurger(SessionManager& manager, std::chrono::milliseconds interval,
                             std::function<void(const Result<size_t>&)> onResult)
    : manager_(manager), interval_(interval), onResult_(std::move(onResult)) {
  thread_ = std::thread([this] { run(); });
}

SessionPurger::~SessionPurger() { stop(); }

void SessionPurger::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SessionPurger::run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    auto r = manager_.purgeExpired();
    if (onResult_) onResult_(r);
    lock.lock();
  }
}

}  // namespace authgate::session
