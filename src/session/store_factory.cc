#include "authgate/session/store_factory.h"

#include "authgate/session/memory_store.h"
#include "authgate/session/postgres_store.h"
#include "authgate/session/redis_store.h"
#include "authgate/session/sqlite_store.h"
#include "authgate/session/token_cipher.h"

namespace authgate::session {

Result<StoreLocation> parseStoreUri(std::string_view uri) {
  StoreLocation loc;
  if (uri == "memory") return loc;
  if (uri.substr(0, 7) == "sqlite:") {
    loc.kind = StoreKind::kSqlite;
    loc.sqlitePath = std::string(uri.substr(7));
    if (loc.sqlitePath.empty()) return Errc::kBadStoreUri;
    return loc;
  }
  if (uri.substr(0, 17) == "redis-sentinel://") {
    if (!parseRedisSentinelUri(uri)) return Errc::kBadStoreUri;
    loc.kind = StoreKind::kRedis;
    loc.redisUri = std::string(uri);
    return loc;
  }
  if (uri.substr(0, 8) == "redis://") {
    if (!parseRedisUri(uri)) return Errc::kBadStoreUri;
    loc.kind = StoreKind::kRedis;
    loc.redisUri = std::string(uri);
    return loc;
  }
  if (uri.substr(0, 11) == "postgres://" || uri.substr(0, 13) == "postgresql://") {
    if (!checkPostgresUri(uri)) return Errc::kBadStoreUri;
    loc.kind = StoreKind::kPostgres;
    loc.postgresUri = std::string(uri);
    return loc;
  }
  return Errc::kBadStoreUri;
}

Result<std::unique_ptr<SessionStore>> openStore(std::string_view uri, const core::Clock& clock,
                                                std::string* detail) {
  auto loc = parseStoreUri(uri);
  if (!loc) {
    if (detail) {
      std::string why;
      const bool postgres =
          uri.substr(0, 11) == "postgres://" || uri.substr(0, 13) == "postgresql://";
      const bool sentinel = uri.substr(0, 17) == "redis-sentinel://";
      if (postgres && !checkPostgresUri(uri, &why)) {
        *detail = "session store: the PostgreSQL URI is not valid: " + why;
      } else if (sentinel && !parseRedisSentinelUri(uri, &why)) {
        *detail = "session store: the redis-sentinel URI is not valid: " + why;
      } else {
        *detail =
            "session store: unsupported store setting (want sqlite:PATH, redis://..., "
            "redis-sentinel://.../MASTER, postgres://... or memory)";
      }
    }
    return loc.error();
  }
  switch (loc->kind) {
    case StoreKind::kMemory:
      return makeMemoryStore(clock);
    case StoreKind::kSqlite:
      return openSqliteStore(SqliteStoreOptions{loc->sqlitePath}, clock, detail);
    case StoreKind::kRedis: {
      auto o = loc->redisUri.substr(0, 8) == "redis://" ? parseRedisUri(loc->redisUri)
                                                        : parseRedisSentinelUri(loc->redisUri);
      if (!o) return o.error();
      if (!o->sentinels.empty()) {
        // Sentinels that are down are an outage (readiness shows it); sentinels refusing
        // the sentinel credentials are a setting to fix, so the start is refused.
        std::string why;
        if (auto m = probeRedisSentinels(*o, &why); !m && m.error() == Errc::kStoreOpenFailed) {
          if (detail) *detail = "session store: " + why;
          return m.error();
        }
      }
      return makeRedisStore(std::move(*o), clock);
    }
    case StoreKind::kPostgres:
      return openPostgresStore(PostgresStoreOptions{.uri = loc->postgresUri}, clock, detail);
  }
  return Errc::kBadStoreUri;
}

Result<ResolvedKeys> resolveKeys(const std::vector<core::Secret>& inlineKeys,
                                 const std::string& keyFile, const StoreLocation& store,
                                 core::Random& random) {
  ResolvedKeys out;
  out.keys = inlineKeys;
  if (!keyFile.empty()) {
    auto fromFile = readKeyFile(keyFile);
    if (!fromFile) return fromFile.error();
    out.keys.insert(out.keys.end(), fromFile->begin(), fromFile->end());
  }
  if (out.keys.empty()) {
    switch (store.kind) {
      case StoreKind::kSqlite: {
        std::string path = defaultKeyFilePath(store.sqlitePath);
        auto r = readOrCreateKeyFile(path, random);
        if (!r) return r.error();
        out.keys = std::move(r->keys);
        if (r->created) out.createdFile = path;
        break;
      }
      case StoreKind::kMemory:
        out.keys.push_back(generateKey(random));
        out.ephemeral = true;
        break;
      case StoreKind::kRedis:
      case StoreKind::kPostgres:
        return Errc::kNoKey;
    }
  }
  // Validate here so a bad key is a start-up error, not a failure at first login.
  if (auto c = TokenCipher::fromKeys(out.keys); !c) return c.error();
  return out;
}

}  // namespace authgate::session
