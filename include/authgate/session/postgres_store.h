// PostgreSQL store (libpq): several authgate instances share sessions through a
// database many teams already run with replication and failover. Every statement is
// one atomic SQL statement (compare-and-set in the WHERE clause, take as DELETE ...
// RETURNING); revocation events travel by LISTEN/NOTIFY on a second connection. The
// schema is versioned; migrations run at open under an advisory lock.
#pragma once

#include <memory>
#include <string>

#include "authgate/core/clock.h"
#include "authgate/session/session_store.h"

namespace authgate::session {

struct PostgresStoreOptions {
  std::string uri;  // libpq connection URI: postgres[ql]://user:pass@host:port/db?sslmode=...
  size_t auditCap = 10000;
};

// kStoreOpenFailed when the server cannot be reached or the schema cannot be migrated;
// kSchemaTooNew when a newer authgate migrated it. `detail` receives a one-line
// explanation (libpq's message; never the password).
Result<std::unique_ptr<SessionStore>> openPostgresStore(const PostgresStoreOptions& options,
                                                        const core::Clock& clock,
                                                        std::string* detail = nullptr);

// The schema version this build migrates to.
int postgresSchemaVersion();

}  // namespace authgate::session
