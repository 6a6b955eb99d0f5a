// Error codes of the session module. Store failures are values: the caller fails closed
// (a request that needs a session gets a 503, never a redirect loop).
#pragma once

#include "authgate/core/error.h"

namespace authgate::session {

enum class Errc {
  kOk = 0,
  kNotFound,          // no such session (or malformed cookie: never reaches the store)
  kConflict,          // compare-and-set lost: the record changed since it was read
  kLocked,            // the lock is held by another owner
  kStoreUnavailable,  // backend unreachable, busy or failing: fail closed
  kStoreOpenFailed,   // the store could not be opened or initialised at start-up
  kBadStoreUri,       // session.store is not sqlite:PATH, redis://... or memory
  kSchemaTooNew,      // the database was migrated by a newer authgate
  kCorruptRecord,     // stored bytes do not decode as a session
  kExpired,           // idle or absolute timeout passed
  kRevoked,           // ended on purpose (logout, admin, back-channel ...)
  kDecryptFailed,     // token ciphertext not authenticated by any configured key
  kBadKey,            // an encryption key is not base64url of 32 bytes
  kNoKey,             // no encryption key configured
  kKeyFileError,      // the key file could not be read or created
  kForbidden,         // revoking a session that belongs to someone else
  kWouldBlock,        // a memory-only lookup missed: the store must be read (elsewhere)
  kKeyFileExists,     // a new key file was asked for where one exists
  kNoIndex,           // listing or ending by subject/sid on a store without a session index
};

}  // namespace authgate::session

namespace authgate::core {
template <>
struct ErrcTraits<session::Errc> {
  static constexpr const char* kCategory = "authgate.session";
  static std::string_view name(session::Errc e);
  static std::string_view message(session::Errc e);
};
}  // namespace authgate::core

AUTHGATE_ERRC(authgate::session)
