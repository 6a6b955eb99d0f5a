#include "authgate/oidc/return_to.h"

#include <boost/url/parse.hpp>

#include "authgate/core/codec.h"
#include "oidc/json_util.h"

namespace authgate::oidc {
namespace {

constexpr std::size_t kMaxTargetBytes = 2048;
constexpr int kMaxDecodeRounds = 4;

// Browsers strip tabs and newlines from URLs (WHATWG URL "remove all ASCII tab or
// newline") and treat '\' like '/' for http(s), which turns "/\evil" or "/\t/evil" into
// "//evil": a protocol-relative URL to another host. Non-ASCII is refused so no
// Unicode normalisation can produce a '/' either.
bool hasUnsafeByte(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') return true;
  }
  return false;
}

bool hasDotSegment(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find_first_of("/?#", start);
    auto seg =
        path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (seg == "." || seg == "..") return true;
    if (end == std::string_view::npos || path[end] != '/') break;
    start = end + 1;
  }
  return false;
}

bool hasControlByte(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

// The raw target must be a single-slash path of visible ASCII with no '\'. Its decoded
// forms may hold spaces or other text ("/search?q=a%20b"), but must still not start with
// "//" or "/\", hide a control byte (CR/LF header injection) or a dot segment
// (browsers treat "%2e%2e" as "..").
bool startsUnsafely(std::string_view s) {
  if (s.empty() || s.front() != '/') return true;
  return s.size() >= 2 && (s[1] == '/' || s[1] == '\\');
}

bool isUnsafeRelativeForm(std::string_view s) {
  return startsUnsafely(s) || hasUnsafeByte(s) || hasDotSegment(s);
}

bool isUnsafeDecodedForm(std::string_view s) {
  return startsUnsafely(s) || hasControlByte(s) || hasDotSegment(s);
}

Result<std::string> checkRelative(std::string_view value) {
  if (isUnsafeRelativeForm(value)) return Errc::kUnsafeReturnTo;
  if (!boost::urls::parse_relative_ref(value)) return Errc::kUnsafeReturnTo;
  // Percent-encoded '/' and '\' ("/%2F/evil", "/%5Cevil") become "//" or "/\" if anything
  // downstream decodes once more; decode until stable and check every form.
  std::string current(value);
  for (int round = 0; round < kMaxDecodeRounds; ++round) {
    if (current.find('%') == std::string::npos) return std::string(value);
    auto decoded = core::percentDecode(current);
    if (!decoded) return Errc::kUnsafeReturnTo;
    if (isUnsafeDecodedForm(*decoded)) return Errc::kUnsafeReturnTo;
    if (*decoded == current) return std::string(value);
    current = std::move(*decoded);
  }
  // Still changing after several rounds: nobody legitimate encodes that deep.
  return Errc::kUnsafeReturnTo;
}

Result<std::string> checkTarget(std::string_view value,
                                const std::vector<std::string>& allowedOrigins) {
  if (value.empty()) return std::string("/");
  if (value.size() > kMaxTargetBytes) return Errc::kUnsafeReturnTo;
  if (hasUnsafeByte(value)) return Errc::kUnsafeReturnTo;
  if (value.front() == '/') return checkRelative(value);
  auto u = boost::urls::parse_absolute_uri(value);
  if (!u) return Errc::kUnsafeReturnTo;
  // javascript:, data:, "http:/evil" (no authority) and friends.
  bool web = detail::iequals(u->scheme(), "https") || detail::iequals(u->scheme(), "http");
  if (!web || !u->has_authority() || u->encoded_host().empty()) return Errc::kUnsafeReturnTo;
  if (u->has_userinfo()) return Errc::kUnsafeReturnTo;
  if (u->encoded_host().find('%') != std::string_view::npos) return Errc::kUnsafeReturnTo;
  // After an authority the path is empty or starts with '/' (RFC 3986 s3.3
  // path-abempty). Boost.URL 1.81 accepts "http://host:443.evil.example/" as port 443 and
  // path ".evil.example/": refuse it, browsers do not read it as that origin.
  if (!u->encoded_path().empty() && u->encoded_path().front() != '/') {
    return Errc::kUnsafeReturnTo;
  }
  std::string origin =
      detail::asciiLower(u->scheme()) + "://" + detail::asciiLower(u->encoded_host());
  if (u->has_port()) {
    auto port = u->port();
    bool isDefault = (port == "443" && detail::iequals(u->scheme(), "https")) ||
                     (port == "80" && detail::iequals(u->scheme(), "http"));
    if (port.empty()) return Errc::kUnsafeReturnTo;
    if (!isDefault) origin += ":" + std::string(port);
  }
  for (const auto& allowed : allowedOrigins) {
    auto norm = normalizeOrigin(allowed);
    if (norm && *norm == origin) return std::string(value);
  }
  return Errc::kReturnToOriginNotAllowed;
}

}  // namespace

std::optional<std::string> normalizeOrigin(std::string_view url) {
  if (hasUnsafeByte(url)) return std::nullopt;
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return std::nullopt;
  bool https = detail::iequals(u->scheme(), "https");
  bool http = detail::iequals(u->scheme(), "http");
  if ((!https && !http) || !u->has_authority() || u->encoded_host().empty()) return std::nullopt;
  if (u->has_userinfo() || u->has_query() || u->has_fragment()) return std::nullopt;
  if (!u->encoded_path().empty() && u->encoded_path() != "/") return std::nullopt;
  std::string origin =
      detail::asciiLower(u->scheme()) + "://" + detail::asciiLower(u->encoded_host());
  if (u->has_port()) {
    auto port = u->port();
    if (port.empty()) return std::nullopt;
    bool isDefault = (https && port == "443") || (http && port == "80");
    if (!isDefault) origin += ":" + std::string(port);
  }
  return origin;
}

Result<std::string> validateReturnTo(std::string_view value,
                                     const std::vector<std::string>& allowedOrigins) {
  return checkTarget(value, allowedOrigins);
}

Result<std::string> validatePostLogoutRedirect(std::string_view value,
                                               const std::vector<std::string>& allowedOrigins) {
  return checkTarget(value, allowedOrigins);
}

std::string absolutize(std::string_view validatedTarget, std::string_view publicBaseUrl) {
  if (validatedTarget.empty() || validatedTarget.front() != '/')
    return std::string(validatedTarget);
  // A relative target is relative to the origin, not to any path in the base URL.
  auto u = boost::urls::parse_absolute_uri(publicBaseUrl);
  if (!u || !u->has_authority()) return std::string(validatedTarget);
  return std::string(u->scheme()) + "://" + std::string(u->encoded_host_and_port()) +
         std::string(validatedTarget);
}

}  // namespace authgate::oidc
