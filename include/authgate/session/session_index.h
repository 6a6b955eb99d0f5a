// The session-record parts of the store contract: records (opaque bytes with a TTL,
// compare-and-set on a version number, lookup by key or public id, purge of expired
// ones) and the optional index over them (by subject, by provider sid, paging).
//
// Every operation returns a value: kStoreUnavailable when the backend cannot answer.
// Callers fail closed. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/errc.h"
#include "authgate/session/errc.h"

namespace authgate::session {

using Millis = std::chrono::milliseconds;

struct StoreRecord {
  std::string key;          // hex SHA-256 of the session id (primary key)
  std::string publicId;     // unique, indexed
  std::string subject;      // indexed (list/revoke by user)
  std::string sid;          // indexed when not empty (back-channel logout)
  int64_t createdAt = 0;    // unix seconds, for ordering
  int64_t expiresAtMs = 0;  // set by put() from the store's clock + ttl
  uint64_t version = 0;     // set by put(); starts at 1
  std::string data;         // opaque to the store
};

struct RecordPage {
  std::vector<StoreRecord> records;
  std::string nextCursor;  // empty: no more
};

// Precondition for put().
inline constexpr uint64_t kAnyVersion = UINT64_MAX;  // unconditional write
inline constexpr uint64_t kMustNotExist = 0;         // create only

class SessionRecords {
 public:
  virtual ~SessionRecords() = default;

  // kNotFound when absent or past its TTL.
  virtual Result<StoreRecord> get(std::string_view key) = 0;
  virtual Result<StoreRecord> getByPublicId(std::string_view publicId) = 0;
  // Writes `rec` (its version/expiresAtMs are ignored) if the stored version equals
  // `expectedVersion` (kMustNotExist: absent; kAnyVersion: always). Returns the new
  // version, or kConflict.
  virtual Result<uint64_t> put(const StoreRecord& rec, Millis ttl, uint64_t expectedVersion) = 0;
  // Removes the record and its index entries. Absent is not an error.
  virtual Result<void> erase(std::string_view key) = 0;
  // Deletes up to `limit` records past their TTL and returns them (for expiry audit
  // events). Backends with native expiry still index expiries so this sees them.
  virtual Result<std::vector<StoreRecord>> purgeExpired(size_t limit) = 0;
};

// Optional: without it the manager cannot list sessions, cap them per user or end them
// by subject or sid (those calls return kNoIndex).
class SessionIndex {
 public:
  virtual ~SessionIndex() = default;

  // Unexpired records, oldest first.
  virtual Result<std::vector<StoreRecord>> listBySubject(std::string_view subject) = 0;
  virtual Result<std::vector<StoreRecord>> listBySid(std::string_view sid) = 0;
  // Unexpired records, `limit` per page, each exactly once, in an order the backend
  // chooses (key order in memory and Redis, row-id order in SQLite); pass the previous
  // nextCursor, which is opaque. A cursor the backend never issued is an error.
  virtual Result<RecordPage> listAll(std::string_view cursor, size_t limit) = 0;
};

}  // namespace authgate::session
