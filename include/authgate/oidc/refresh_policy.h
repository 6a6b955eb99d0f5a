// Refreshing tokens (RFC 6749 s6; OIDC Core s12): when to refresh, when a token may still
// be used, when to ask the provider again after a failure, and what a refresh changes.
// Values in, values out: the gateway's Refresher does the I/O (the store lock, the token
// request, the compare-and-set) and asks these rules at each step.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "authgate/core/error.h"
#include "authgate/core/secret.h"
#include "authgate/core/token_set.h"

namespace authgate::oidc {

// The access token should be refreshed now: there is a refresh token, the access
// token's expiry is known, and it is within `before` of `now` (or already past).
bool needsRefresh(const core::TokenSet& t, std::int64_t now, std::chrono::seconds before);
// The current access token can still be sent upstream: expiry unknown or in the future.
bool accessTokenUsable(const core::TokenSet& t, std::int64_t now);

// The refresh token that is alive after a token response `obtained` for a session that
// held `held`: the new one when the provider rotated it, else the one held (without
// rotation the provider sends none and the old one lives on, RFC 6749 s6).
const core::Secret& liveRefreshToken(const core::TokenSet& held, const core::TokenSet& obtained);

// When the provider may be asked again after a 429/503 (unix seconds): the later of
// Retry-After (RFC 9110 s10.2.3, delta-seconds; an HTTP-date is ignored) and Auth0's
// X-RateLimit-Reset (epoch seconds), never more than `cap` ahead. nullopt when neither
// header is usable.
std::optional<std::int64_t> providerNotBefore(std::optional<std::string_view> retryAfter,
                                              std::optional<std::string_view> rateLimitReset,
                                              std::int64_t now, std::chrono::seconds cap);
// Exponential backoff after `failures` consecutive transient failures (1 -> 1 s, 2 -> 2 s,
// 3 -> 4 s ...), capped at 60 s.
std::chrono::seconds backoffDelay(int failures);

// The session's claims after a refresh: the stored claims (which may include userinfo
// claims from login) with every claim of the new ID token replacing its old value; the
// login's nonce does not carry over (OIDC Core s12.2).
boost::json::object mergeRefreshedClaims(const boost::json::object& stored,
                                         const boost::json::object& fresh);

// How a failed token response is handled. kEndSession: invalid_grant, the grant is dead.
// kTransient: anything else (5xx, 429, other OAuth errors, broken responses, a store
// error): the session is kept and the refresh retried with backoff. (A new ID token
// that fails its checks ends the session too; that is decided after a successful
// response.)
enum class RefreshFailure { kEndSession, kTransient };
RefreshFailure classifyRefreshError(const error_code& ec);

}  // namespace authgate::oidc
