// The provider's tokens for one sign-in: one type for what the token endpoint issued
// (oidc::TokenResponse holds one) and what a session keeps (session::Session holds one,
// encrypted at rest). It lives in core because oidc and session may both depend on core
// and on nothing of each other (docs/ARCHITECTURE.md).
//
// What belongs to one side only stays there: the response's token_type, expires_in and
// scope in oidc::TokenResponse; the validated ID token's claims in session::Session.
// Every token is a core::Secret: it never prints, never reaches a log.
#pragma once

#include <cstdint>

#include "authgate/core/secret.h"

namespace authgate::core {

struct TokenSet {
  Secret accessToken;
  // Unix seconds (the token endpoint's expires_in added to the injected clock);
  // 0: unknown.
  std::int64_t accessTokenExpiresAt = 0;
  // Empty: the provider sent none (no offline_access, or a refresh without rotation).
  Secret refreshToken;
  // Empty only after a refresh that brought no new ID token.
  Secret idToken;
};

}  // namespace authgate::core
