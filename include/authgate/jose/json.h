// Strict JSON for JOSE: RFC 8259 with no comments, no trailing commas, valid UTF-8, a
// depth limit, and no duplicate member names at any level. RFC 7515 s5.2 and RFC 7519
// s7.2 require rejecting duplicate Header Parameter and Claim names; Boost.JSON alone
// keeps the last one ({"a":1,"a":2} -> {"a":2}), which would let two parsers disagree
// about what a token says.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

#include "authgate/core/error.h"

namespace authgate::jose {

struct JsonLimits {
  size_t maxBytes = 256 * 1024;
  size_t maxDepth = 16;
};

// Parses `text` as one JSON value. Errors: kBadJson, kDuplicateJsonMember, and the
// caller's size error is its own business (this one returns kBadJson past maxBytes).
Result<boost::json::value> parseStrictJson(std::string_view text, const JsonLimits& limits = {});

// parseStrictJson, then requires a top-level object (kNotJsonObject otherwise).
Result<boost::json::object> parseStrictJsonObject(std::string_view text,
                                                  const JsonLimits& limits = {});

}  // namespace authgate::jose
