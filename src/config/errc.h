// Error codes of the config module's value parsers (durations, sizes, booleans).
// Loading itself reports Problems (key: reason), not codes, because every problem
// is collected at once; these codes are what the small parsers return.
#pragma once

#include "authgate/core/error.h"

namespace authgate::config {

enum class Errc {
  kOk = 0,
  kEmptyValue,
  kBadDuration,  // not <digits><unit> with unit s, m, h or d
  kNegativeDuration,
  kDurationTooLarge,  // above kMaxDuration (also guards arithmetic overflow)
  kBadInteger,
  kBadBoolean,
};

}  // namespace authgate::config

template <>
struct authgate::core::ErrcTraits<authgate::config::Errc> {
  static constexpr const char* kCategory = "authgate.config";
  static std::string_view name(authgate::config::Errc e);
  static std::string_view message(authgate::config::Errc e);
};

AUTHGATE_ERRC(authgate::config)
