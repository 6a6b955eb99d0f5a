#include "config/duration.h"

#include <charconv>
#include <cstdint>

namespace authgate::config {
namespace {

Result<std::int64_t> parseDigits(std::string_view digits) {
  if (digits.empty()) return Errc::kBadDuration;
  std::int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return Errc::kBadDuration;
    // Saturate instead of overflowing; anything this long is rejected below anyway.
    if (value > kMaxDuration.count()) return Errc::kDurationTooLarge;
    value = value * 10 + (c - '0');
  }
  return value;
}

Result<Duration> checked(std::int64_t value, std::int64_t unit) {
  if (value > kMaxDuration.count() / unit) return Errc::kDurationTooLarge;
  return Duration{value * unit};
}

}  // namespace

Result<Duration> parseDuration(std::string_view text) {
  if (text.empty()) return Errc::kEmptyValue;
  if (text.front() == '-') return Errc::kNegativeDuration;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return Errc::kBadDuration;
  }
  auto value = parseDigits(text.substr(0, text.size() - 1));
  if (!value) return value.error();
  return checked(*value, unit);
}

Result<Duration> parseDurationOrSeconds(std::string_view text) {
  if (!text.empty() && text.back() >= '0' && text.back() <= '9') {
    if (text.front() == '-') return Errc::kNegativeDuration;
    auto value = parseDigits(text);
    if (!value) return value.error();
    return checked(*value, 1);
  }
  return parseDuration(text);
}

std::string formatDuration(Duration d) {
  const auto s = d.count();
  if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace authgate::config
