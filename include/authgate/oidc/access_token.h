// Bearer access tokens for APIs (RFC 6750; RFC 9068 JWT profile; Auth0 access tokens).
// Auth0 signs API access tokens as JWTs with typ "JWT" by default and "at+jwt" with the
// RFC 9068 profile, so both are accepted; anything else (an ID token: no typ or another
// audience) is refused.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "authgate/jose/jwt.h"

namespace authgate::oidc {

// iss exact, aud one of `audiences`, exp required, typ at+jwt or JWT (required), sub and
// iat present, algorithms from `algs` (names jose does not know are dropped).
jose::VerifyPolicy accessTokenPolicy(std::string issuer, std::vector<std::string> audiences,
                                     const std::vector<std::string>& algs,
                                     std::chrono::seconds clockSkew);

// An ID token for `clientId` (used by `authgate token verify` without --audience).
jose::VerifyPolicy idTokenPolicy(std::string issuer, std::string clientId,
                                 const std::vector<std::string>& algs,
                                 std::chrono::seconds clockSkew);

}  // namespace authgate::oidc
