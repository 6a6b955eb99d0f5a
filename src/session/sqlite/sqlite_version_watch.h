// How a SQLite store learns that another process changed sessions, for the session
// cache (SessionStore::externalVersion, docs/SESSIONS.md "Session cache"). SQLite has
// no cross-process notification; the version combines the other processes' bumps of
// the shared change counter (change_counter.h), read without the store's lock, with
// PRAGMA data_version, which also sees writers that do not bump, checked at most every
// kBackstop. Without a counter, data_version on every call.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

#include "session/sqlite/change_counter.h"
#include "session/sqlite/sqlite_statement.h"

namespace authgate::session::detail {

class VersionWatch {
 public:
  // `mu` is the store's lock, held around every use of the connection behind
  // `statements`; `changes` may be null (no counter file: data_version every time).
  VersionWatch(std::mutex& mu, StatementCache& statements, std::unique_ptr<ChangeCounter> changes)
      : mu_(mu), statements_(statements), changes_(std::move(changes)) {}
  VersionWatch(const VersionWatch&) = delete;
  VersionWatch& operator=(const VersionWatch&) = delete;

  // Changes when another process committed a change. Takes the store's lock (without a
  // counter, or when the backstop is due and the lock is free).
  uint64_t version();

  // Under the store's lock, after a commit that changed the sessions table and before
  // the caller answers: other processes' caches see it from then on.
  void changed() {
    if (changes_) changes_->bump();
  }

 private:
  uint64_t dataVersionLocked();
  uint64_t backstopVersion();

  std::mutex& mu_;
  StatementCache& statements_;
  std::unique_ptr<ChangeCounter> changes_;
  uint64_t unknownVersion_ = UINT64_MAX;  // under mu_
  static constexpr std::chrono::nanoseconds kBackstop = std::chrono::milliseconds(100);
  std::atomic<int64_t> backstopDue_{0};  // steady_clock, nanoseconds since its epoch
  std::atomic<uint64_t> backstop_{0};
};

}  // namespace authgate::session::detail
