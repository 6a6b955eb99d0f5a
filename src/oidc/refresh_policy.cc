#include "authgate/oidc/refresh_policy.h"

#include <algorithm>
#include <charconv>

#include "authgate/oidc/errc.h"

namespace authgate::oidc {

namespace {

using std::chrono::seconds;

// A non-negative decimal integer with optional surrounding blanks (RFC 9110 s5.6.3 OWS).
std::optional<std::int64_t> parseInt(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

bool needsRefresh(const core::TokenSet& t, std::int64_t now, std::chrono::seconds before) {
  if (t.refreshToken.empty() || t.accessTokenExpiresAt == 0) return false;
  return t.accessTokenExpiresAt - now <= before.count();
}

bool accessTokenUsable(const core::TokenSet& t, std::int64_t now) {
  return t.accessTokenExpiresAt == 0 || t.accessTokenExpiresAt > now;
}

const core::Secret& liveRefreshToken(const core::TokenSet& held, const core::TokenSet& obtained) {
  return obtained.refreshToken.empty() ? held.refreshToken : obtained.refreshToken;
}

std::optional<std::int64_t> providerNotBefore(std::optional<std::string_view> retryAfter,
                                              std::optional<std::string_view> rateLimitReset,
                                              std::int64_t now, std::chrono::seconds cap) {
  std::optional<std::int64_t> at;
  if (retryAfter) {
    if (auto delta = parseInt(*retryAfter)) at = now + *delta;
  }
  if (rateLimitReset) {
    // Auth0 sends the reset as epoch seconds; a value in the past says "now".
    if (auto reset = parseInt(*rateLimitReset); reset && *reset > 1'000'000'000) {
      at = std::max(at.value_or(now), std::max(*reset, now));
    }
  }
  if (!at) return std::nullopt;
  return std::min(*at, now + cap.count());
}

std::chrono::seconds backoffDelay(int failures) {
  if (failures <= 1) return seconds(1);
  const int shift = std::min(failures - 1, 6);
  return std::min(seconds(std::int64_t{1} << shift), seconds(60));
}

boost::json::object mergeRefreshedClaims(const boost::json::object& stored,
                                         const boost::json::object& fresh) {
  boost::json::object merged = stored;
  for (const auto& kv : fresh) merged[kv.key()] = kv.value();
  // The login's nonce belongs to the first ID token only (OIDC Core s12.2).
  if (!fresh.contains("nonce")) merged.erase("nonce");
  return merged;
}

RefreshFailure classifyRefreshError(const error_code& ec) {
  // RFC 6749 s5.2: invalid_grant means the refresh token is invalid, expired, revoked or
  // was used before (rotation): nothing will bring it back. Anything else (provider
  // outage, 429, invalid_client during a misconfiguration, a broken response) does not
  // prove the grant dead: keep the session and retry with backoff.
  return ec == Errc::kInvalidGrant ? RefreshFailure::kEndSession : RefreshFailure::kTransient;
}

}  // namespace authgate::oidc
