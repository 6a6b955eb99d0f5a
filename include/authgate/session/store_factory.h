// Opens the backend a `session.store` setting names (target authgate_session_stores,
// which links SQLite, hiredis and libpq; the session core links none of them).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/random.h"
#include "authgate/core/secret.h"
#include "authgate/session/session_store.h"

namespace authgate::session {

enum class StoreKind { kMemory, kSqlite, kRedis, kPostgres };

// Redis and PostgreSQL: several instances share the sessions, so each needs the same
// configured encryption key.
inline bool isSharedStore(StoreKind k) {
  return k == StoreKind::kRedis || k == StoreKind::kPostgres;
}

struct StoreLocation {
  StoreKind kind = StoreKind::kMemory;
  std::string sqlitePath;   // kSqlite
  std::string redisUri;     // kRedis: redis:// or redis-sentinel://
  std::string postgresUri;  // kPostgres: libpq's URI, as written
};

// "memory" | "sqlite:PATH" | "redis://[user:pass@]host:port/db" |
// "redis-sentinel://[user:pass@]host:port[,...]/MASTER[/db][?...]" (kRedis) |
// "postgres[ql]://[user:pass@]host[:port]/db[?sslmode=...]" (kPostgres, checked by
// libpq's parser); else kBadStoreUri.
Result<StoreLocation> parseStoreUri(std::string_view uri);

// kStoreOpenFailed (with `detail` naming the path and SQLite's reason, or libpq's reason
// without the password) when a SQLite file cannot be opened or PostgreSQL cannot be
// reached or migrated: the binary reports it and exits 1. A redis:// server is not
// contacted here; readiness and requests report it when down. Under redis-sentinel://
// the sentinels are asked once (probeRedisSentinels): sentinels that refuse the
// sentinel credentials are kStoreOpenFailed, sentinels that are down are not.
Result<std::unique_ptr<SessionStore>> openStore(std::string_view uri, const core::Clock& clock,
                                                std::string* detail = nullptr);

struct ResolvedKeys {
  std::vector<core::Secret> keys;  // newest first
  std::string createdFile;         // non-empty: a key file was just generated; log it
  bool ephemeral = false;          // memory store without keys: a per-process key
};

// Encryption keys for the configured store: inline keys (newest first), then the
// keys of `keyFile`. With neither:
//   sqlite:PATH  reads, or creates with one fresh key (mode 0600), PATH + ".key";
//   memory       a random per-process key (sessions die with the process anyway);
//   redis://, postgres://  kNoKey: every instance must share the key, so it must be
//                configured.
Result<ResolvedKeys> resolveKeys(const std::vector<core::Secret>& inlineKeys,
                                 const std::string& keyFile, const StoreLocation& store,
                                 core::Random& random);

}  // namespace authgate::session
