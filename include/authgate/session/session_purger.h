// Runs SessionManager::purgeExpired() every `interval` on one background thread until
// stop() or destruction (which waits for a purge in progress to finish). For servers
// without an event loop timer; the manager itself starts no threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "authgate/session/session_manager.h"

namespace authgate::session {

class SessionPurger {
 public:
  // `onResult` (optional) sees each run's outcome, e.g. to log a store outage.
  SessionPurger(SessionManager& manager, std::chrono::milliseconds interval,
                std::function<void(const Result<size_t>&)> onResult = {});
  ~SessionPurger();
  SessionPurger(const SessionPurger&) = delete;
  SessionPurger& operator=(const SessionPurger&) = delete;

  void stop();

 private:
  void run();

  SessionManager& manager_;
  std::chrono::milliseconds interval_;
  std::function<void(const Result<size_t>&)> onResult_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace authgate::session
