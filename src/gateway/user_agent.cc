#include "gateway/user_agent.h"

#include <array>
#include <cctype>

namespace authgate::gateway {
namespace {

bool has(std::string_view s, std::string_view token) {
  return s.find(token) != std::string_view::npos;
}

// The major version after `token` ("Firefox/121.0" -> "121"); "" when there is none.
std::string majorAfter(std::string_view ua, std::string_view token) {
  auto at = ua.find(token);
  if (at == std::string_view::npos) return "";
  std::string digits;
  for (auto i = at + token.size(); i < ua.size() && digits.size() < 5; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(ua[i]))) break;
    digits += ua[i];
  }
  return digits;
}

std::string named(std::string_view name, const std::string& version) {
  return version.empty() ? std::string(name) : std::string(name) + " " + version;
}

struct BrowserRule {
  std::string_view token;  // as in the string, with the '/' before the version
  std::string_view name;
};

// Order matters: most browsers also claim to be the ones they are built on (Edge and
// Opera say Chrome; Chrome says Safari), so the most specific token is looked for first.
constexpr std::array kBrowsers = {
    BrowserRule{"Edg/", "Edge"},
    BrowserRule{"EdgA/", "Edge"},
    BrowserRule{"EdgiOS/", "Edge"},
    BrowserRule{"OPR/", "Opera"},
    BrowserRule{"SamsungBrowser/", "Samsung Internet"},
    BrowserRule{"Vivaldi/", "Vivaldi"},
    BrowserRule{"FxiOS/", "Firefox"},
    BrowserRule{"Firefox/", "Firefox"},
    BrowserRule{"CriOS/", "Chrome"},
    BrowserRule{"HeadlessChrome/", "Chrome"},
    BrowserRule{"Chromium/", "Chromium"},
    BrowserRule{"Chrome/", "Chrome"},
    BrowserRule{"curl/", "curl"},
    BrowserRule{"Wget/", "Wget"},
};

std::string browserOf(std::string_view ua) {
  for (const auto& rule : kBrowsers) {
    if (has(ua, rule.token)) {
      if (rule.name == "curl" || rule.name == "Wget") return std::string(rule.name);
      return named(rule.name, majorAfter(ua, rule.token));
    }
  }
  // Safari names its own version in Version/; "Safari/" alone is the WebKit build.
  if (has(ua, "Safari/") || (has(ua, "AppleWebKit/") && has(ua, "Mobile/"))) {
    return named("Safari", majorAfter(ua, "Version/"));
  }
  return "Unknown browser";
}

std::string deviceOf(std::string_view ua) {
  if (has(ua, "iPhone") || has(ua, "iPod")) return "iPhone";
  if (has(ua, "iPad")) return "iPad";
  if (has(ua, "Android")) return has(ua, "Mobile") ? "Android phone" : "Android tablet";
  if (has(ua, "CrOS")) return "ChromeOS";
  if (has(ua, "Windows")) return "Windows";
  if (has(ua, "Macintosh") || has(ua, "Mac OS X")) return "Mac";
  if (has(ua, "Linux") || has(ua, "X11")) return "Linux";
  return "Unknown device";
}

}  // namespace

DeviceSummary describeUserAgent(std::string_view userAgent) {
  if (userAgent.empty()) return {"Unknown browser", "Unknown device"};
  return {browserOf(userAgent), deviceOf(userAgent)};
}

}  // namespace authgate::gateway
