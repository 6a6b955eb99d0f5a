// The process environment as a value, so loading is a pure function of (file, env)
// and tests pass their own map instead of touching the real environment.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace authgate::config {

using Environment = std::map<std::string, std::string>;

// A copy of the current process environment (`environ`).
Environment processEnvironment();

// One line of an env file that could not be read; never carries the line's value.
struct EnvFileError {
  std::size_t line = 0;  // 1-based
  std::string reason;
};

struct EnvFile {
  Environment values;
  std::vector<EnvFileError> errors;
};

// An env file in the syntax `docker compose --env-file` reads (docs/CONFIGURATION.md
// "Env files"):
//   - blank lines and lines starting with '#' are skipped; an "export " prefix is dropped;
//   - KEY=VALUE or KEY: VALUE, whitespace around the separator ignored; KEY is
//     [A-Za-z0-9_.-]+; a bare KEY takes the value `lookup` has for it (if any);
//   - unquoted values end at the line's end or at " #" (an inline comment), trailing
//     whitespace trimmed; KEY= and KEY="" are empty;
//   - '...' is literal and may span lines; "..." may span lines and reads \n \t \r \\ \"
//     \$ escapes;
//   - $VAR, ${VAR}, ${VAR:-default} (unset or empty), ${VAR-default} (unset) in unquoted
//     and double-quoted values, looked up in the file's earlier lines, then `lookup`;
//     one pair of quotes around a default is removed, as a shell does.
// Values in, values out: the file's text and the environment to expand from.
EnvFile parseEnvFile(std::string_view text, const Environment& lookup = {});

struct EnvFilesResult {
  Environment env;
  // "FILE:LINE" or "FILE" -> reason; the reason never holds a value from the file.
  std::vector<std::pair<std::string, std::string>> problems;
};

// The environment a command sees with `--env-file FILE...`: the files in order (a later
// file replaces an earlier one's value), then `process` on top, as docker compose lets
// the shell's variables win over its env file. Each file expands ${VAR} from `process`
// and the files before it. A file larger than 1 MiB or unreadable is a problem.
EnvFilesResult withEnvFiles(const std::vector<std::string>& paths, const Environment& process);

// AUTHGATE_ENV_FILE: one path, or several separated by ',' (as COMPOSE_ENV_FILES).
std::vector<std::string> envFilesFromVariable(const Environment& process);

}  // namespace authgate::config
