// Time comes in through an interface so protocol code and tests can use a simulated
// clock (STYLE.md: no hidden I/O in protocol logic).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace authgate::core {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Seconds since the Unix epoch, as JWT NumericDate uses.
  int64_t unixSeconds() const {
    return std::chrono::duration_cast<Seconds>(now().time_since_epoch()).count();
  }
  // Milliseconds since the Unix epoch, as the session stores keep expiry times.
  int64_t unixMillis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  static const SystemClock& instance() {
    static const SystemClock c;
    return c;
  }
};

// A clock tests set and advance by hand. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t unixSeconds = 1'700'000'000) : t_(unixSeconds * 1000) {}
  TimePoint now() const override { return TimePoint(std::chrono::milliseconds(t_.load())); }
  void set(int64_t unixSeconds) { t_ = unixSeconds * 1000; }
  void advance(std::chrono::milliseconds d) { t_ += d.count(); }

 private:
  std::atomic<int64_t> t_;
};

}  // namespace authgate::core
