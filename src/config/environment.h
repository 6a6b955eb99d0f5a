// The process environment as a value, so loading is a pure function of (file, env)
// and tests pass their own map instead of touching the real environment.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace authgate::config {

using Environment = std::map<std::string, std::string>;

// A copy of the current process environment (`environ`).
Environment processEnvironment();

// KEY=VALUE lines as docker --env-file and OpenMetadata's .env files write them:
// blank lines and '#' comments are skipped, an optional "export " prefix is dropped,
// and one pair of matching quotes around the value is removed. Lines without '=' are
// skipped.
Environment parseEnvFile(std::string_view text);

}  // namespace authgate::config
