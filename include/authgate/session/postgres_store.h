// PostgreSQL store (libpq), for several authgate instances sharing sessions through a
// database many teams already run with replication and failover. Every operation is one
// SQL statement, atomic on its own (compare-and-set in the WHERE clause, take as
// DELETE ... RETURNING), with a bounded command timeout: kStoreUnavailable when the
// server does not answer, and the next call reconnects. Revocations travel by
// LISTEN/NOTIFY on channel "authgate_revoked", on a connection of their own.
//
// Tables (schema version in authgate_schema; migrations run at open, one instance at a
// time under an advisory lock):
//   authgate_sessions  key, public_id (unique), subject, sid, created_at, expires_ms,
//                      version, data (bytea); indexes by (subject, created_at), sid,
//                      expires_ms
//   authgate_values    key, value (bytea), expires_ms   login transactions, replay guards
//   authgate_locks     name, owner, expires_ms          refresh single-flight
//   authgate_audit     id (bigserial), line             capped to auditCap
// Times are unix milliseconds from the store's clock, as on every backend.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "authgate/core/clock.h"
#include "authgate/session/session_store.h"

namespace authgate::session {

struct PostgresStoreOptions {
  // libpq's connection URI: postgres[ql]://[user[:password]@]host[:port][/db][?param=...]
  // with libpq's own parameters (sslmode, sslrootcert, connect_timeout, ...). Without a
  // connect_timeout in it, 5 s.
  std::string uri;
  std::chrono::milliseconds commandTimeout{2000};
  size_t maxIdleConnections = 8;  // pooled between calls; more are opened on demand
  size_t auditCap = 10000;
};

// Checks the URI with libpq's parser (nothing is contacted): kBadStoreUri when libpq
// refuses it. `detail` receives libpq's reason with the password replaced.
Result<void> checkPostgresUri(std::string_view uri, std::string* detail = nullptr);

// Connects and migrates the schema. kStoreOpenFailed when the server cannot be reached
// or the schema cannot be migrated, kSchemaTooNew when a newer authgate migrated it.
// `detail` receives a one-line explanation (libpq's message, the password replaced by
// [redacted]).
Result<std::unique_ptr<SessionStore>> openPostgresStore(const PostgresStoreOptions& options,
                                                        const core::Clock& clock,
                                                        std::string* detail = nullptr);

// The schema version this build migrates to.
int postgresSchemaVersion();

}  // namespace authgate::session
