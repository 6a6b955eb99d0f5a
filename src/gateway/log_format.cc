#include "gateway/log_format.h"

#include <spdlog/details/log_msg.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <ctime>

namespace authgate::gateway {
namespace {

// "2026-12-02T19:35:46.123Z". The part up to the seconds changes once a second, so it
// is formatted then and reused: a formatter belongs to one sink, and spdlog calls it
// under that sink's lock, so the cache needs no lock of its own.
class IsoTime {
 public:
  void append(spdlog::log_clock::time_point t, spdlog::memory_buf_t& dest) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    if (secs != secs_ || length_ == 0) {
      std::tm tm{};
      gmtime_r(&secs, &tm);
      length_ = std::strftime(seconds_, sizeof seconds_, "%Y-%m-%dT%H:%M:%S", &tm);
      secs_ = secs;
    }
    const auto milli = static_cast<int>(ms % 1000);
    const char tail[] = {'.', static_cast<char>('0' + milli / 100),
                         static_cast<char>('0' + milli / 10 % 10),
                         static_cast<char>('0' + milli % 10), 'Z'};
    dest.append(seconds_, seconds_ + length_);
    dest.append(tail, tail + sizeof tail);
  }

 private:
  std::time_t secs_ = 0;
  std::size_t length_ = 0;
  char seconds_[32] = {};
};

void append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

// The default logger has no name; its lines are authgate's own.
std::string_view loggerName(const spdlog::details::log_msg& msg) {
  const std::string_view name(msg.logger_name.data(), msg.logger_name.size());
  return name.empty() ? std::string_view("authgate") : name;
}

std::string_view levelName(const spdlog::details::log_msg& msg) {
  const auto level = spdlog::level::to_string_view(msg.level);
  return {level.data(), level.size()};
}

// A JSON string. Level and logger names are plain words, written as they are; anything
// else goes through Boost.JSON's escaping.
void appendQuoted(spdlog::memory_buf_t& dest, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
  if (plain) {
    dest.push_back('"');
    append(dest, s);
    dest.push_back('"');
  } else {
    append(dest, boost::json::serialize(boost::json::string(s)));
  }
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    append(dest, "{\"ts\":\"");
    time_.append(msg.time, dest);
    append(dest, "\",\"level\":");
    appendQuoted(dest, levelName(msg));
    append(dest, ",\"logger\":");
    appendQuoted(dest, loggerName(msg));
    // A payload that is one JSON object (access and audit lines) is merged, not quoted.
    if (text.size() > 2 && text.front() == '{' && text.back() == '}' &&
        text.find('\n') == std::string_view::npos) {
      dest.push_back(',');
      append(dest, text.substr(1));
    } else {
      append(dest, ",\"msg\":");
      appendQuoted(dest, text);
      dest.push_back('}');
    }
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  IsoTime time_;
};

// 2026-12-02T19:35:46.123Z [info] [access] {"type":"access",...}
class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    time_.append(msg.time, dest);
    append(dest, " [");
    append(dest, levelName(msg));
    append(dest, "] [");
    append(dest, loggerName(msg));
    append(dest, "] ");
    append(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }

 private:
  IsoTime time_;
};

}  // namespace

LogFormat resolveLogFormat(std::string_view setting, bool stderrIsTerminal) {
  if (setting == "json") return LogFormat::kJson;
  if (setting == "text") return LogFormat::kText;
  return stderrIsTerminal ? LogFormat::kText : LogFormat::kJson;
}

std::unique_ptr<spdlog::formatter> makeLogFormatter(LogFormat format) {
  if (format == LogFormat::kJson) return std::make_unique<JsonFormatter>();
  return std::make_unique<TextFormatter>();
}

void applyLogFormat(LogFormat format) { spdlog::set_formatter(makeLogFormatter(format)); }

}  // namespace authgate::gateway
