// The `authgate` subcommands (docs/CLI.md). Each returns the process
// exit code; main() only parses arguments and catches what escapes.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/environment.h"
#include "config/load.h"

namespace authgate::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitProblems = 1;  // bad settings, invalid token, failed check

// Options every command takes.
struct CommonOptions {
  std::string config_file;  // -c FILE; "" = ./authgate.yaml when present, else defaults + env
  std::vector<std::string> env_files;  // --env-file FILE (repeatable); else AUTHGATE_ENV_FILE
};

// The environment a command sees: `process` with the env files read under it (a
// variable of the process wins over a file's, as in docker compose). A file's problems
// come back as `FILE:LINE: reason`.
struct CommandEnvironment {
  config::Environment env;
  std::vector<config::Problem> problems;
};
CommandEnvironment commandEnvironment(const CommonOptions& options,
                                      const config::Environment& process);

// The settings an operator's command sees: the same file, env files and environment as
// the server. Env-file problems come first in `problems`.
config::LoadResult loadSettings(const CommonOptions& options, const config::Environment& env);

// Each problem as one `key: reason` line.
void printProblems(const std::vector<config::Problem>& problems, std::ostream& out);

// authgate serve: run the gateway until SIGTERM/SIGINT. 1 when settings have problems.
int runServe(const CommonOptions& options);

// authgate check-config [--print] [--offline]: settings checks, then discovery and JWKS
// fetched from the provider (skipped with --offline). --print shows the settings with
// secrets redacted.
int runCheckConfig(const CommonOptions& options, bool print, bool offline);

// authgate version
int runVersion();
std::string versionText();

// authgate discover [ISSUER]: ISSUER empty -> the settings' provider.issuer (and its
// discovery_url).
int runDiscover(const CommonOptions& options, const std::string& issuer);

// authgate sessions list [--user U] [--json]
struct SessionsListOptions {
  std::string user;
  bool json = false;
};
int runSessionsList(const CommonOptions& options, const SessionsListOptions& list);

// authgate sessions revoke ID | --user U | --all
struct SessionsRevokeOptions {
  std::string id;
  std::string user;
  bool all = false;
};
int runSessionsRevoke(const CommonOptions& options, const SessionsRevokeOptions& revoke);

// authgate token verify TOKEN [--kind id|access] [--audience A]: TOKEN "-" reads it
// from stdin. --audience only with --kind access (never a silent switch of rules).
struct TokenVerifyOptions {
  std::string token;
  std::string kind = "id";
  std::string audience;
};
int runTokenVerify(const CommonOptions& options, const TokenVerifyOptions& verify);

// authgate keys generate|rotate [--file FILE]: FILE defaults to
// session.encryption_key_file, else the SQLite store's PATH.key.
struct KeysOptions {
  std::string file;
};
int runKeysGenerate(const CommonOptions& options, const KeysOptions& keys);
int runKeysRotate(const CommonOptions& options, const KeysOptions& keys);
// authgate keys client-jwk: the public JWK (kid, alg, use) of the private_key_jwt key, as
// one JSON object on stdout. 1 when the method is another or the key does not load.
// requestObject: the JAR key (provider.request_object_signing_key_file) instead.
int runKeysClientJwk(const CommonOptions& options, bool requestObject);

// authgate healthcheck [--url URL]: GET the server's /healthz (server.admin_listen if
// set, else server.listen; a wildcard host asked over loopback); 0 on 200, 1 otherwise. For
// container HEALTHCHECKs.
int runHealthcheck(const CommonOptions& options, const std::string& url);
std::string healthUrlFor(std::string_view listen, std::string_view scheme);

}  // namespace authgate::cli
