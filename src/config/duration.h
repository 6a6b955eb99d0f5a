// Durations in settings: "90s", "15m", "24h", "7d" (docs/CONFIGURATION.md).
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "config/errc.h"

namespace authgate::config {

// Ten years: far above any sensible timeout, and far below what std::chrono's
// nanosecond clocks can hold (~292 years), so later conversions cannot overflow.
inline constexpr Duration kMaxDuration{10LL * 365 * 24 * 3600};

// "<digits><unit>", unit one of s, m, h, d. No sign, no spaces, no fractions.
Result<Duration> parseDuration(std::string_view text);

// Like parseDuration, but a bare integer means seconds. OpenMetadata's variables
// (OIDC_SESSION_EXPIRY, OIDC_MAX_CLOCK_SKEW, OIDC_MAX_AGE) are written that way.
Result<Duration> parseDurationOrSeconds(std::string_view text);

// The shortest exact form: 604800s -> "7d", 5400s -> "90m", 0 -> "0s".
std::string formatDuration(Duration d);

}  // namespace authgate::config
