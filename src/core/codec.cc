#include "authgate/core/codec.h"

#include <boost/url/encode.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace authgate::core {

std::string percentEncode(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

Result<std::string> percentDecode(std::string_view s) {
  auto pct = boost::urls::make_pct_string_view(s);
  if (!pct) return Errc::kBadPercentEncoding;
  return pct->decode();
}

std::string formEncode(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += percentEncode(k);
    out.push_back('=');
    out += percentEncode(v);
  }
  return out;
}

namespace {
Result<std::string> formComponent(std::string_view s) {
  std::string plus(s);
  for (auto& c : plus) {
    if (c == '+') c = ' ';
  }
  return percentDecode(plus);
}
}  // namespace

Result<Params> formDecode(std::string_view body, size_t maxPairs) {
  Params out;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    if (out.size() >= maxPairs) return Errc::kTooLarge;
    auto eq = pair.find('=');
    auto key = formComponent(pair.substr(0, eq));
    auto value = formComponent(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!key || !value) return Errc::kBadFormBody;
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

std::optional<std::string> findParam(const Params& params, std::string_view key) {
  for (const auto& [k, v] : params) {
    if (k == key) return v;
  }
  return std::nullopt;
}

namespace {
bool isTokenChar(char c) {
  // RFC 7230 tchar
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool isCookieOctet(char c) {
  // RFC 6265 cookie-octet
  auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x2B) || (u >= 0x2D && u <= 0x3A) ||
         (u >= 0x3C && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
}
}  // namespace

std::string_view trimOws(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool asciiIEquals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<std::string_view> findCookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view pair = trimOws(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0 || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    bool wellFormed = true;
    for (char c : name) wellFormed = wellFormed && isTokenChar(c);
    for (char c : value) wellFormed = wellFormed && isCookieOctet(c);
    if (wellFormed) return value;
  }
  return std::nullopt;
}

std::string formatSetCookie(const SetCookie& c) {
  std::string out = c.name + "=" + c.value + "; Path=" + c.path;
  if (!c.domain.empty()) out += "; Domain=" + c.domain;
  if (c.maxAgeSeconds)
    out += "; Max-Age=" + std::to_string(*c.maxAgeSeconds < 0 ? 0 : *c.maxAgeSeconds);
  if (c.secure) out += "; Secure";
  if (c.httpOnly) out += "; HttpOnly";
  if (!c.sameSite.empty()) out += "; SameSite=" + c.sameSite;
  return out;
}

std::string htmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace authgate::core
