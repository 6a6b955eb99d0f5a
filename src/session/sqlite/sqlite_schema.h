// The SQLite store's file (sqlite_store.cc): created owner-only, opened in WAL mode
// with the store's pragmas, and migrated to the schema this build knows. The layout
// (tables, indexes, the 64-bit row id of a key) is documented with the migrations in
// sqlite_schema.cc; a shipped migration is never edited, a new one is appended.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "authgate/session/sqlite_store.h"
#include "session/sqlite/sqlite_statement.h"

namespace authgate::session::detail {

// The row id of a key in the sessions table: the first 8 bytes of its SHA-256.
int64_t sqliteKeyId(std::string_view key);

// Creates the file (0600) when it does not exist, opens it, sets WAL and the pragmas,
// and applies missing migrations. kStoreOpenFailed (with `detail`, naming the path)
// or kSchemaTooNew (with `detail`) on failure; the connection is then closed.
Result<Database> openSqliteDatabase(const SqliteStoreOptions& options, std::string* detail);

}  // namespace authgate::session::detail
