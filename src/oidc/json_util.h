// Small typed accessors over boost::json for the oidc sources (private header).
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authgate::oidc::detail {

// Parses text as JSON without throwing; nullopt unless it is an object.
std::optional<boost::json::object> parseObject(std::string_view text);

// The string member `key`, or nullopt when absent or not a string.
std::optional<std::string> getString(const boost::json::object& o, std::string_view key);
// True when `key` is present but not a string (a type error, not an absence).
bool hasNonString(const boost::json::object& o, std::string_view key);
// Array of strings member; non-string entries are skipped.
std::vector<std::string> getStringArray(const boost::json::object& o, std::string_view key);
// Integer member (int64/uint64, or a double with no fractional part); nullopt otherwise.
std::optional<std::int64_t> getInt(const boost::json::object& o, std::string_view key);
// true only for the JSON boolean true.
bool getTrue(const boost::json::object& o, std::string_view key);

// ASCII lower-casing for case-insensitive comparisons of hosts, emails, token types.
std::string asciiLower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

}  // namespace authgate::oidc::detail
