// authgate: the gateway binary and operator CLI (docs/CLI.md).
#include <CLI/CLI.hpp>

#include <exception>
#include <functional>
#include <iostream>

#include "cli/commands.h"

namespace {

using namespace authgate::cli;

int run(int argc, char** argv) {
  CLI::App app{"authgate: OpenID Connect authentication gateway"};
  app.require_subcommand(1);
  app.set_version_flag("--version", versionText(), "version and build information (as `version`)");
  CommonOptions common;
  std::function<int()> command;

  // Every command reads the same settings as the server: -c FILE and the environment.
  auto withConfig = [&](CLI::App* sub) {
    sub->add_option("-c,--config", common.config_file,
                    "settings file (default ./authgate.yaml when present, else defaults + "
                    "environment)");
    sub->add_option("--env-file", common.env_files,
                    "read variables from FILE (docker compose env-file syntax; repeatable, "
                    "later files win, the process environment wins over files; default "
                    "$AUTHGATE_ENV_FILE)")
        ->allow_extra_args(false);
    return sub;
  };

  auto* serve = withConfig(app.add_subcommand("serve", "run the gateway"));
  serve->callback([&] { command = [&] { return runServe(common); }; });

  bool print = false;
  auto* check = withConfig(
      app.add_subcommand("check-config", "validate settings; report each problem as key: reason"));
  bool offline = false;
  check->add_flag("--print", print, "print the settings (secrets redacted)");
  check->add_flag("--offline", offline, "skip fetching the provider's discovery and JWKS");
  check->callback([&] { command = [&] { return runCheckConfig(common, print, offline); }; });

  auto* version = withConfig(app.add_subcommand("version", "version and build information"));
  version->callback([&] { command = [] { return runVersion(); }; });

  std::string issuer;
  auto* discover = withConfig(
      app.add_subcommand("discover", "print the provider's metadata and what authgate will use"));
  discover->add_option("ISSUER", issuer, "issuer URL (default: provider.issuer from the settings)");
  discover->callback([&] { command = [&] { return runDiscover(common, issuer); }; });

  auto* sessions = app.add_subcommand("sessions", "list or revoke login sessions");
  sessions->require_subcommand(1);
  SessionsListOptions list;
  auto* sessionsList = withConfig(sessions->add_subcommand("list", "sessions in the store"));
  sessionsList->add_option("--user", list.user, "only this user's (email or sub)");
  sessionsList->add_flag("--json", list.json, "JSON output");
  sessionsList->callback([&] { command = [&] { return runSessionsList(common, list); }; });
  SessionsRevokeOptions revoke;
  auto* sessionsRevoke = withConfig(sessions->add_subcommand("revoke", "revoke sessions"));
  auto* revokeId = sessionsRevoke->add_option("ID", revoke.id, "session id");
  auto* revokeUser = sessionsRevoke->add_option("--user", revoke.user, "all of a user's sessions");
  auto* revokeAll = sessionsRevoke->add_flag("--all", revoke.all, "every session");
  revokeId->excludes(revokeUser)->excludes(revokeAll);
  revokeUser->excludes(revokeAll);
  sessionsRevoke->callback([&] {
    command = [&] {
      if (revoke.id.empty() && revoke.user.empty() && !revoke.all) {
        std::cerr << "authgate sessions revoke: give ID, --user U or --all\n";
        return kExitProblems;
      }
      return runSessionsRevoke(common, revoke);
    };
  });

  auto* token = app.add_subcommand("token", "token tools");
  token->require_subcommand(1);
  TokenVerifyOptions verify;
  auto* tokenVerify =
      withConfig(token->add_subcommand("verify", "verify a JWT against the provider's JWKS"));
  tokenVerify->add_option("TOKEN", verify.token, "the JWT, or - to read it from stdin")->required();
  tokenVerify
      ->add_option("--kind", verify.kind,
                   "id: an ID token for provider.client_id (default); access: an API access "
                   "token for --audience or api.audiences")
      ->check(CLI::IsMember({"id", "access"}));
  tokenVerify->add_option("--audience", verify.audience,
                          "expected audience of an access token (with --kind access)");
  tokenVerify->callback([&] { command = [&] { return runTokenVerify(common, verify); }; });

  auto* keys = app.add_subcommand(
      "keys", "session encryption key file; the client key's public JWK (client-jwk)");
  keys->require_subcommand(1);
  KeysOptions keyFile;
  auto* keysGenerate = withConfig(keys->add_subcommand(
      "generate", "write a new key file with one fresh key (mode 0600); never overwrites"));
  auto* keysRotate = withConfig(keys->add_subcommand(
      "rotate", "put a fresh key first in the key file, keeping the old ones for reading"));
  for (auto* sub : {keysGenerate, keysRotate}) {
    sub->add_option("--file", keyFile.file,
                    "key file (default session.encryption_key_file, else the SQLite "
                    "store's PATH.key)");
  }
  keysGenerate->callback([&] { command = [&] { return runKeysGenerate(common, keyFile); }; });
  keysRotate->callback([&] { command = [&] { return runKeysRotate(common, keyFile); }; });
  auto* keysClientJwk = withConfig(keys->add_subcommand(
      "client-jwk",
      "print the public JWK of provider.client_private_key_file (private_key_jwt), to "
      "register at the provider"));
  bool requestObjectKey = false;
  keysClientJwk->add_flag("--request-object", requestObjectKey,
                          "the key of provider.request_object_signing_key_file (signed "
                          "authorize requests) instead");
  keysClientJwk->callback(
      [&] { command = [&] { return runKeysClientJwk(common, requestObjectKey); }; });

  std::string healthUrl;
  auto* healthcheck = withConfig(app.add_subcommand(
      "healthcheck", "GET the running server's /healthz; exit 0 on 200 (container HEALTHCHECK)"));
  healthcheck->add_option("--url", healthUrl, "URL to ask instead of http://LISTEN/healthz");
  healthcheck->callback([&] { command = [&] { return runHealthcheck(common, healthUrl); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; usage errors exit 1 like bad settings, not with CLI11's 100+ codes.
    return app.exit(e) == 0 ? kExitOk : kExitProblems;
  }
  return command ? command() : kExitProblems;
}

}  // namespace

int main(int argc, char** argv) {
  // Config loading may throw internally; nothing escapes main.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "authgate: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "authgate: unexpected error\n";
  }
  return kExitProblems;
}
