#include "authgate/session/errc.h"

namespace authgate::core {

using session::Errc;

std::string_view ErrcTraits<Errc>::name(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kNotFound:
      return "session_not_found";
    case Errc::kConflict:
      return "session_conflict";
    case Errc::kLocked:
      return "session_locked";
    case Errc::kStoreUnavailable:
      return "session_store_unavailable";
    case Errc::kStoreOpenFailed:
      return "session_store_open_failed";
    case Errc::kBadStoreUri:
      return "session_bad_store_uri";
    case Errc::kSchemaTooNew:
      return "session_schema_too_new";
    case Errc::kCorruptRecord:
      return "session_corrupt_record";
    case Errc::kExpired:
      return "session_expired";
    case Errc::kRevoked:
      return "session_revoked";
    case Errc::kDecryptFailed:
      return "session_decrypt_failed";
    case Errc::kBadKey:
      return "session_bad_key";
    case Errc::kNoKey:
      return "session_no_key";
    case Errc::kKeyFileError:
      return "session_key_file_error";
    case Errc::kForbidden:
      return "session_forbidden";
    case Errc::kWouldBlock:
      return "session_would_block";
    case Errc::kKeyFileExists:
      return "session_key_file_exists";
    case Errc::kNoIndex:
      return "session_no_index";
  }
  return "unknown";
}

std::string_view ErrcTraits<Errc>::message(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kNotFound:
      return "no such session";
    case Errc::kConflict:
      return "the session changed concurrently (compare-and-set failed)";
    case Errc::kLocked:
      return "the lock is held by another owner";
    case Errc::kStoreUnavailable:
      return "the session store is unavailable";
    case Errc::kStoreOpenFailed:
      return "the session store could not be opened";
    case Errc::kBadStoreUri:
      return "session store must be sqlite:PATH, redis://[user:pass@]host:port/db or memory";
    case Errc::kSchemaTooNew:
      return "the session database schema is newer than this authgate";
    case Errc::kCorruptRecord:
      return "a stored session record could not be decoded";
    case Errc::kExpired:
      return "the session expired";
    case Errc::kRevoked:
      return "the session was revoked";
    case Errc::kDecryptFailed:
      return "session tokens could not be decrypted with any configured key";
    case Errc::kBadKey:
      return "an encryption key is not base64url of exactly 32 bytes";
    case Errc::kNoKey:
      return "no session encryption key is configured";
    case Errc::kKeyFileError:
      return "the session key file could not be read or created";
    case Errc::kForbidden:
      return "the session belongs to another user";
    case Errc::kWouldBlock:
      return "the session is not in memory; the store must be read";
    case Errc::kKeyFileExists:
      return "the key file exists (use authgate keys rotate to add a key to it)";
    case Errc::kNoIndex:
      return "the session store has no session index (listing by user or sid)";
  }
  return "unknown error";
}

}  // namespace authgate::core
