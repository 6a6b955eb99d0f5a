// URL, form and cookie codecs. Pure functions: values in, values out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "authgate/core/errc.h"

namespace authgate::core {

using Params = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes everything except RFC 3986 unreserved characters.
std::string percentEncode(std::string_view s);
Result<std::string> percentDecode(std::string_view s);

// application/x-www-form-urlencoded (also used for URL query strings we build).
std::string formEncode(const Params& params);
// Strict: rejects bad percent-escapes. '+' decodes to a space. Empty pairs are skipped.
Result<Params> formDecode(std::string_view body, size_t maxPairs = 256);
// First value of `key`, if any.
std::optional<std::string> findParam(const Params& params, std::string_view key);

// ASCII case-insensitive equality (header tokens, auth schemes, emails): only A-Z
// fold, so no byte outside the letters ever matches another.
bool asciiIEquals(std::string_view a, std::string_view b) noexcept;
// Without leading and trailing optional whitespace (RFC 9110 s5.6.3: SP and HTAB).
std::string_view trimOws(std::string_view s) noexcept;

// The value of the first well-formed cookie `name` in a Cookie request header (RFC 6265
// s4.2.1 pairs; a DQUOTE-wrapped value is unwrapped, nothing is decoded). Pairs that are
// not well formed (a JSON value, a space, no '=') are skipped, not fatal: any site that
// shares the cookie domain (a sibling subdomain, another port) can set such a cookie,
// and one of them must not sign the user out. No limit on the number of pairs beyond
// the header size limit.
std::optional<std::string_view> findCookie(std::string_view header, std::string_view name);

struct SetCookie {
  std::string name;
  std::string value;
  std::string path = "/";
  std::string domain{};  // "": host-only (the default, and required for __Host- names)
  std::optional<long long> maxAgeSeconds;  // negative/zero: delete
  bool secure = false;
  bool httpOnly = true;
  std::string sameSite = "Lax";  // Lax, Strict or None
};
std::string formatSetCookie(const SetCookie& c);

// HTML-escapes text for safe inclusion in element content and quoted attributes.
std::string htmlEscape(std::string_view s);

}  // namespace authgate::core
