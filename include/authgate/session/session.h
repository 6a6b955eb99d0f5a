// The session record: one signed-in browser. The cookie carries only a 256-bit random
// id; everything else lives server-side, keyed by the SHA-256 of that id so a leaked
// store yields no usable cookie.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "authgate/core/token_set.h"

namespace authgate::session {

enum class SessionState { kActive, kRevoked, kExpired };

// Why a session ended on purpose. Stable snake_case names appear in audit events,
// listings and the API.
enum class RevokeReason {
  kNone,
  kUser,           // the user revoked it from the session list
  kAdmin,          // an operator (API or CLI)
  kBackchannel,    // OpenID Connect Back-Channel Logout 1.0 s2.5
  kLogout,         // RP-initiated logout from this browser
  kMaxSessions,    // session.max_per_user exceeded: the oldest goes
  kReplaced,       // the same browser signed in again: its previous session goes
  kRefreshFailed,  // the provider refused the refresh token (RFC 6749 s5.2 invalid_grant)
};

std::string_view stateName(SessionState s);
std::string_view reasonName(RevokeReason r);
std::optional<SessionState> parseState(std::string_view s);
std::optional<RevokeReason> parseReason(std::string_view s);

struct Session {
  // Store key: lowercase hex SHA-256 of the cookie value. Never the cookie itself.
  std::string key;
  // Short random id shown in listings and used to revoke; unrelated to the cookie.
  std::string publicId;

  std::string subject;  // ID token `sub`
  std::string email;
  std::string name;
  std::string preferredUsername;
  std::string providerSid;  // ID token `sid` (OIDC Front/Back-Channel Logout)

  int64_t createdAt = 0;          // unix seconds
  int64_t lastSeenAt = 0;         // as last written (writes are throttled)
  int64_t idleExpiresAt = 0;      // lastSeenAt + idle timeout
  int64_t absoluteExpiresAt = 0;  // createdAt + absolute timeout; never moves
  int64_t authTime = 0;           // ID token `auth_time` (OIDC Core s2); 0: the provider sent none
  std::string clientIp;           // at login
  std::string userAgent;          // at login, truncated
  uint32_t refreshCount = 0;

  SessionState state = SessionState::kActive;
  RevokeReason revokeReason = RevokeReason::kNone;
  int64_t endedAt = 0;  // when revoked or expired

  // The provider's tokens (core::TokenSet, the type the token-response parser fills)
  // and the validated ID token's claims as a JSON object text, for access rules
  // (email_verified, groups, ...). Both are one ciphertext at rest (AES-256-GCM, see
  // TokenCipher): the claims are personal data. Only the manager decrypts them; in
  // listings they are empty ("{}" for the claims).
  core::TokenSet tokens;
  std::string idTokenClaims = "{}";

  uint64_t version = 0;  // store version, for compare-and-set

  // The earlier of the two timeouts.
  int64_t expiresAt() const {
    return idleExpiresAt < absoluteExpiresAt ? idleExpiresAt : absoluteExpiresAt;
  }
};

}  // namespace authgate::session
