// Opens the backend a `session.store` setting names (target authgate_session_stores,
// which links SQLite and hiredis; the session core links neither).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "authgate/core/clock.h"
#include "authgate/session/session_store.h"

namespace authgate::session {

enum class StoreKind { kMemory, kSqlite, kRedis };

struct StoreLocation {
  StoreKind kind = StoreKind::kMemory;
  std::string sqlitePath;  // kSqlite
  std::string redisUri;    // kRedis
};

// "memory" | "sqlite:PATH" | "redis://[user:pass@]host:port/db"; else kBadStoreUri.
Result<StoreLocation> parseStoreUri(std::string_view uri);

// kStoreOpenFailed (with `detail` naming the path and SQLite's reason) when a SQLite
// file cannot be opened: the binary reports it and exits 1. Redis is not contacted
// here; readiness and requests report it when down.
Result<std::unique_ptr<SessionStore>> openStore(std::string_view uri, const core::Clock& clock,
                                                std::string* detail = nullptr);

}  // namespace authgate::session
