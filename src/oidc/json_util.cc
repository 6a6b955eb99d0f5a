#include "oidc/json_util.h"

#include "authgate/core/codec.h"

#include <cmath>
#include <limits>

namespace authgate::oidc::detail {

std::optional<boost::json::object> parseObject(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::optional<std::string> getString(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

bool hasNonString(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && !it->value().is_string();
}

std::vector<std::string> getStringArray(const boost::json::object& o, std::string_view key) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_array()) return out;
  for (const auto& v : it->value().as_array()) {
    if (v.is_string()) out.emplace_back(v.as_string());
  }
  return out;
}

std::optional<std::int64_t> getInt(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const auto& v = it->value();
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) {
    if (v.as_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(v.as_uint64());
  }
  if (v.is_double()) {
    double d = v.as_double();
    // Some providers serialise integers as 3600.0; accept those, reject 3600.5.
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9.0e15) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

bool getTrue(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_bool() && it->value().as_bool();
}

std::string asciiLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return core::asciiIEquals(a, b); }

}  // namespace authgate::oidc::detail
