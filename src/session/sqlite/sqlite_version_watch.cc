// The SQLite store's external version: the change counter and the data_version
// backstop (sqlite_version_watch.h).
#include "session/sqlite/sqlite_version_watch.h"

namespace authgate::session::detail {

uint64_t VersionWatch::version() {
  if (!changes_) {
    std::lock_guard lock(mu_);
    return dataVersionLocked();
  }
  return (changes_->foreign() << 32) ^ backstopVersion();
}

// Under mu_. Changes when another connection (any process) committed.
uint64_t VersionWatch::dataVersionLocked() {
  Stmt st(statements_, "PRAGMA data_version");
  if (st && st.step() == SQLITE_ROW) return static_cast<uint64_t>(st.i64(0));
  return unknownVersion_--;  // cannot tell: a value never returned before
}

// data_version as of the last check, checked again when kBackstop has passed and the
// store's lock is free at that moment (a write holding it may be waiting for its
// fsync; the next call tries again, and waits for the lock once the check is a
// second late).
uint64_t VersionWatch::backstopVersion() {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t due = backstopDue_.load();
  if (now >= due && backstopDue_.compare_exchange_strong(due, now + kBackstop.count())) {
    std::unique_lock lock(mu_, std::defer_lock);
    // Skipped while the lock is busy, but never for more than a second: a store
    // kept busy without a break still gets its check.
    if (now - due > std::chrono::nanoseconds(std::chrono::seconds(1)).count() && due != 0) {
      lock.lock();
    } else {
      (void)lock.try_lock();
    }
    if (lock.owns_lock()) {
      backstop_.store(dataVersionLocked());
    } else {
      backstopDue_.store(due);
    }
  }
  return backstop_.load();
}

}  // namespace authgate::session::detail
