#include "gateway/log_format.h"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdint>
#include <string>

namespace authgate::gateway {
namespace {

std::string formatted(LogFormat f, std::string_view logger, std::string_view text) {
  auto formatter = makeLogFormatter(f);
  spdlog::details::log_msg msg(spdlog::string_view_t(logger.data(), logger.size()),
                               spdlog::level::warn,
                               spdlog::string_view_t(text.data(), text.size()));
  spdlog::memory_buf_t buf;
  formatter->format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST(LogFormat, AutoIsJsonUnlessATerminal) {
  EXPECT_EQ(resolveLogFormat("auto", false), LogFormat::kJson);
  EXPECT_EQ(resolveLogFormat("auto", true), LogFormat::kText);
  EXPECT_EQ(resolveLogFormat("json", true), LogFormat::kJson);
  EXPECT_EQ(resolveLogFormat("text", false), LogFormat::kText);
}

TEST(LogFormat, JsonQuotesAMessageAndMergesAJsonPayload) {
  auto line = formatted(LogFormat::kJson, "authgate", "a \"quoted\"\tmessage");
  ASSERT_EQ(line.back(), '\n');
  auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("level").as_string(), "warning");
  EXPECT_EQ(v.at("logger").as_string(), "authgate");
  EXPECT_EQ(v.at("msg").as_string(), "a \"quoted\"\tmessage");
  EXPECT_TRUE(v.at("ts").as_string().ends_with("Z"));

  auto access =
      boost::json::parse(formatted(LogFormat::kJson, "access", R"({"type":"access","status":200})"))
          .as_object();
  EXPECT_EQ(access.at("type").as_string(), "access");
  EXPECT_EQ(access.at("status").as_int64(), 200);
  EXPECT_EQ(access.at("logger").as_string(), "access");
  EXPECT_FALSE(access.contains("msg"));
}

TEST(LogFormat, TextHasOnePrefixForEveryLogger) {
  auto line = formatted(LogFormat::kText, "access", R"({"type":"access"})");
  EXPECT_NE(line.find(" [warning] [access] {\"type\":\"access\"}"), std::string::npos) << line;
  EXPECT_NE(line.front(), '{');
}

}  // namespace
// The seconds are formatted once a second and reused: each line still carries its own
// time, across a second's boundary and back, and in both formats.
TEST(LogFormat, EachLineHasItsOwnTimeAcrossSeconds) {
  for (auto f : {LogFormat::kJson, LogFormat::kText}) {
    auto formatter = makeLogFormatter(f);
    auto at = [&](std::int64_t ms) {
      spdlog::details::log_msg msg(spdlog::source_loc{}, "access", spdlog::level::info, "x");
      msg.time = spdlog::log_clock::time_point(std::chrono::milliseconds(ms));
      spdlog::memory_buf_t buf;
      formatter->format(msg, buf);
      return std::string(buf.data(), buf.size());
    };
    // 2026-12-02T19:35:46Z is 1796240146 s after the epoch.
    EXPECT_NE(at(1796240146'007).find("2026-12-02T19:35:46.007Z"), std::string::npos);
    EXPECT_NE(at(1796240146'999).find("2026-12-02T19:35:46.999Z"), std::string::npos);
    EXPECT_NE(at(1796240147'000).find("2026-12-02T19:35:47.000Z"), std::string::npos);
    EXPECT_NE(at(1796240146'120).find("2026-12-02T19:35:46.120Z"), std::string::npos);
    EXPECT_NE(at(0).find("1970-01-01T00:00:00.000Z"), std::string::npos);
  }
}

// A logger name that is not a plain word is escaped like any other JSON string.
TEST(LogFormat, JsonEscapesALoggerNameThatNeedsIt) {
  const auto v = boost::json::parse(formatted(LogFormat::kJson, "a\"b", "m")).as_object();
  EXPECT_EQ(v.at("logger").as_string(), "a\"b");
}

}  // namespace authgate::gateway
