#include "gateway/log_format.h"

#include <spdlog/details/log_msg.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <ctime>

namespace authgate::gateway {
namespace {

std::string isoTime(spdlog::log_clock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(n), buf,
                static_cast<int>(ms % 1000));
  return out;
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

std::string quoted(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    std::string line = "{\"ts\":\"" + isoTime(msg.time) + "\",\"level\":" + quoted(levelName(msg)) +
                       ",\"logger\":" + quoted(loggerName(msg));
    // A payload that is one JSON object (access and audit lines) is merged, not quoted.
    if (text.size() > 2 && text.front() == '{' && text.back() == '}' &&
        text.find('\n') == std::string_view::npos) {
      line += ",";
      line.append(text.substr(1));
    } else {
      line += ",\"msg\":" + quoted(text) + "}";
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// 2026-12-02T19:35:46.123Z [info] [access] {"type":"access",...}
class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = isoTime(msg.time) + " [" + std::string(levelName(msg)) + "] [" +
                       std::string(loggerName(msg)) + "] ";
    line.append(msg.payload.data(), msg.payload.size());
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }
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
