// Serialisation of a Session into the store's opaque bytes. Internal to the module.
#pragma once

#include <string>
#include <string_view>

#include "authgate/core/errc.h"
#include "authgate/core/token_set.h"
#include "authgate/session/session.h"
#include "authgate/session/session_store.h"

namespace authgate::session::detail {

// What one token ciphertext holds: the provider's tokens and the ID token's claims.
struct TokenPlaintext {
  core::TokenSet tokens;
  std::string idTokenClaims;
};

// Plain JSON of the token set and claims ({"at","ate","rt","it","claims"}, the stored
// field names); encrypted by the caller before it is stored.
std::string encodeTokens(const core::TokenSet& t, std::string_view idTokenClaims);
Result<TokenPlaintext> decodeTokens(std::string_view json);

// Record bytes: every non-secret field plus `tokenCiphertext` (opaque here).
StoreRecord encodeRecord(const Session& s, const std::string& tokenCiphertext);
// Fills the non-secret fields and version; the token ciphertext goes to `tokenCiphertext`.
Result<Session> decodeRecord(const StoreRecord& r, std::string* tokenCiphertext);

}  // namespace authgate::session::detail
