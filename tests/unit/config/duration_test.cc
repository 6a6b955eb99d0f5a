#include "config/duration.h"

#include <gtest/gtest.h>

namespace authgate::config {
namespace {

TEST(ParseDuration, AcceptsEachUnit) {
  const std::pair<std::string_view, std::int64_t> cases[] = {
      {"90s", 90}, {"15m", 900}, {"24h", 86400}, {"7d", 604800}, {"0s", 0}, {"3650d", 315360000},
  };
  for (const auto& [text, seconds] : cases) {
    auto d = parseDuration(text);
    ASSERT_TRUE(d) << text;
    EXPECT_EQ(d->count(), seconds) << text;
  }
}

TEST(ParseDuration, RejectsBadValuesWithTheirCode) {
  const std::pair<std::string_view, Errc> cases[] = {
      {"", Errc::kEmptyValue},
      {"15x", Errc::kBadDuration},
      {"15", Errc::kBadDuration},  // a unit is required outside OpenMetadata's variables
      {"s", Errc::kBadDuration},
      {"1.5h", Errc::kBadDuration},
      {" 5s", Errc::kBadDuration},
      {"5 s", Errc::kBadDuration},
      {"+5s", Errc::kBadDuration},
      {"5S", Errc::kBadDuration},
      {"-5s", Errc::kNegativeDuration},
      {"3651d", Errc::kDurationTooLarge},
      {"99999999999999999999999999s", Errc::kDurationTooLarge},
      {"9223372036854775807d", Errc::kDurationTooLarge},
  };
  for (const auto& [text, code] : cases) {
    auto d = parseDuration(text);
    ASSERT_FALSE(d) << text;
    EXPECT_EQ(d.error(), code) << text;
  }
}

TEST(ParseDurationOrSeconds, TakesBareIntegersAsSeconds) {
  EXPECT_EQ(parseDurationOrSeconds("604800")->count(), 604800);
  EXPECT_EQ(parseDurationOrSeconds("90s")->count(), 90);
  EXPECT_EQ(parseDurationOrSeconds("-1").error(), Errc::kNegativeDuration);
  EXPECT_EQ(parseDurationOrSeconds("1e3").error(), Errc::kBadDuration);
  EXPECT_EQ(parseDurationOrSeconds("999999999999999999999").error(), Errc::kDurationTooLarge);
}

TEST(FormatDuration, UsesTheLargestExactUnit) {
  EXPECT_EQ(formatDuration(Duration{0}), "0s");
  EXPECT_EQ(formatDuration(Duration{90}), "90s");
  EXPECT_EQ(formatDuration(Duration{5400}), "90m");
  EXPECT_EQ(formatDuration(Duration{86400}), "1d");
  EXPECT_EQ(formatDuration(Duration{604800}), "7d");
}

}  // namespace
}  // namespace authgate::config
