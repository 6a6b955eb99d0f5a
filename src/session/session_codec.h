// Serialisation of a Session into the store's opaque bytes. Internal to the module.
#pragma once

#include <string>

#include "authgate/core/errc.h"
#include "authgate/session/session.h"
#include "authgate/session/session_store.h"

namespace authgate::session::detail {

// Plain JSON of the token set; encrypted by the caller before it is stored.
std::string encodeTokens(const TokenSet& t);
Result<TokenSet> decodeTokens(std::string_view json);

// Record bytes: every non-secret field plus `tokenCiphertext` (opaque here).
StoreRecord encodeRecord(const Session& s, const std::string& tokenCiphertext);
// Fills the non-secret fields and version; the token ciphertext goes to `tokenCiphertext`.
Result<Session> decodeRecord(const StoreRecord& r, std::string* tokenCiphertext);

}  // namespace authgate::session::detail
