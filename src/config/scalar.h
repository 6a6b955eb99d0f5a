// Scalar values in settings that YAML and environment variables share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/errc.h"

namespace authgate::config {

// Decimal integer with optional leading '-', no spaces, within int64.
Result<std::int64_t> parseInteger(std::string_view text);

// true/false, yes/no, on/off, 1/0 (case-insensitive), as YAML 1.1 and shells write them.
Result<bool> parseBoolean(std::string_view text);

// "a, b,c" or "[a, b]" (OpenMetadata writes lists as "[a,b]"); items are trimmed and
// may be quoted; empty items are dropped.
std::vector<std::string> splitList(std::string_view text);

std::string_view trim(std::string_view s);
std::string toLower(std::string_view s);

// `"value"` for reasons, so the operator sees exactly what was read; cut after 80 chars.
// Never used on secrets.
std::string inQuotes(std::string_view value);

}  // namespace authgate::config
