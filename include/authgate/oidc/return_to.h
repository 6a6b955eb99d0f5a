// Where the browser may be sent after login or logout. An unvalidated target is an open
// redirect (OpenMetadata GHSA-pm3c-83qf-97qw leaked tokens through one; RFC 9700 s4.11).
// Accepted: a same-origin relative path starting with exactly one '/', or an absolute
// http(s) URL whose origin is in the allow list. Everything else is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/oidc/errc.h"

namespace authgate::oidc {

// "scheme://host[:port]" lower-cased, default port dropped; nullopt unless `url` is an
// absolute http(s) URL with a host, no userinfo and at most a "/" path (query/fragment
// are rejected for origin entries).
std::optional<std::string> normalizeOrigin(std::string_view url);

// Validates a return_to / OpenMetadata redirectUri value, already decoded once from the
// query string. Empty -> "/". Relative paths are refused (kUnsafeReturnTo) when they:
// start with "//" or "/\", contain '\' or a control/whitespace/non-ASCII byte, contain a
// dot segment, do not parse as an RFC 3986 relative-ref, or percent-decode (repeatedly)
// into any of those. Absolute URLs: http(s) only, no userinfo; origin not listed ->
// kReturnToOriginNotAllowed. Returns the value to put in Location.
Result<std::string> validateReturnTo(std::string_view value,
                                     const std::vector<std::string>& allowedOrigins);

// Same rules for logout.post_logout_redirect_url and a requested post-logout target.
Result<std::string> validatePostLogoutRedirect(std::string_view value,
                                               const std::vector<std::string>& allowedOrigins);

// Makes a validated relative target absolute against the public base URL's origin (for
// Auth0's returnTo, which must be absolute). Absolute input is returned unchanged.
std::string absolutize(std::string_view validatedTarget, std::string_view publicBaseUrl);

}  // namespace authgate::oidc
