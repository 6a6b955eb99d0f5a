// How a SQLite store learns that another process changed sessions, without a read
// transaction per request (docs/SESSIONS.md "Session cache").
//
// A 64-bit counter in a small file beside the database (`<db>.changes`), mapped
// shared by every process that opens the store. A store bumps it after each commit
// that changed the sessions table, before it answers, and counts its own bumps; the
// session cache asks for the others' count (`foreign()`) on every hit: a few atomic
// loads, no lock shared with the store, no syscall. A commit by another process is
// seen by every request that starts after that process answered.
//
// What does not bump the counter (an older authgate, the sqlite3 shell, a process that
// died between its commit and its bump) is caught by the store's backstop, PRAGMA
// data_version, checked at most every 100 ms.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace authgate::session::detail {

class ChangeCounter {
 public:
  // Opens or creates `path` and maps it. A new file gets the permission bits of
  // `databasePath` and, when this process runs as root, its owner, as SQLite does for
  // its -wal and -shm files: a CLI run as root must not lock the server out of a file
  // it created. Null when it cannot (read-only directory, another user's file): the
  // store then checks data_version every time.
  static std::unique_ptr<ChangeCounter> open(const std::string& path,
                                             const std::string& databasePath);
  ~ChangeCounter();
  ChangeCounter(const ChangeCounter&) = delete;
  ChangeCounter& operator=(const ChangeCounter&) = delete;

  // After a commit that changed sessions. One writer at a time per object (the store
  // calls it under its lock).
  void bump();
  // Bumps by every other process and store object since the file was created. Never
  // decreases, and changes with every bump that is not this object's.
  uint64_t foreign() const;

 private:
  explicit ChangeCounter(void* map) : map_(map) {}
  uint64_t& shared() const { return *static_cast<uint64_t*>(map_); }

  void* map_;
  // Odd while bump() is between its two increments, so foreign() never pairs the
  // shared count with an own count it does not include (or the reverse).
  std::atomic<uint64_t> local_{0};
  std::atomic<uint64_t> own_{0};
};

}  // namespace authgate::session::detail
