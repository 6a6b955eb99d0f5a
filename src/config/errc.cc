#include "config/errc.h"

namespace authgate::core {

std::string_view ErrcTraits<config::Errc>::name(config::Errc e) {
  using config::Errc;
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kEmptyValue:
      return "empty_value";
    case Errc::kBadDuration:
      return "bad_duration";
    case Errc::kNegativeDuration:
      return "negative_duration";
    case Errc::kDurationTooLarge:
      return "duration_too_large";
    case Errc::kBadInteger:
      return "bad_integer";
    case Errc::kBadBoolean:
      return "bad_boolean";
  }
  return "unknown";
}

std::string_view ErrcTraits<config::Errc>::message(config::Errc e) {
  using config::Errc;
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kEmptyValue:
      return "empty value";
    case Errc::kBadDuration:
      return "invalid duration";
    case Errc::kNegativeDuration:
      return "negative duration";
    case Errc::kDurationTooLarge:
      return "duration too large";
    case Errc::kBadInteger:
      return "not an integer";
    case Errc::kBadBoolean:
      return "not a boolean";
  }
  return "unknown error";
}

}  // namespace authgate::core
