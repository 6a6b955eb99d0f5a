// authgate keys generate|rotate: the session encryption key file (one base64url 32-byte
// key per line, newest first; docs/SESSIONS.md). Keys are never printed.
// authgate keys client-jwk: the public half of the private_key_jwt key.
#include <boost/json/serialize.hpp>

#include <iostream>

#include "authgate/core/errc.h"
#include "authgate/core/random.h"
#include "authgate/session/store_factory.h"
#include "authgate/session/token_cipher.h"
#include "cli/commands.h"
#include "gateway/app.h"

namespace authgate::cli {
namespace {

// --file, else session.encryption_key_file, else the embedded default's file beside the
// SQLite database. "" with a message on stderr when none applies.
std::string keyFilePath(const CommonOptions& options, const KeysOptions& keys) {
  if (!keys.file.empty()) return keys.file;
  const auto settings = loadSettings(options, config::processEnvironment());
  const auto& s = settings.config.session;
  if (!s.encryption_key_file.empty()) return s.encryption_key_file;
  if (auto where = session::parseStoreUri(s.store);
      where && where->kind == session::StoreKind::kSqlite) {
    return session::defaultKeyFilePath(where->sqlitePath);
  }
  std::cerr << "session.encryption_key_file: not set; give --file FILE (a shared store needs "
               "the same file on every instance)\n";
  return "";
}

int keyFileFailed(const std::string& path, const error_code& e) {
  std::cerr << path << ": " << e.message() << " (" << core::errorName(e) << ")\n";
  return kExitProblems;
}

}  // namespace

int runKeysGenerate(const CommonOptions& options, const KeysOptions& keys) {
  const auto path = keyFilePath(options, keys);
  if (path.empty()) return kExitProblems;
  auto key = session::createKeyFile(path, core::OpenSslRandom::instance());
  if (!key) return keyFileFailed(path, key.error());
  std::cout << "wrote " << path << " (1 key, mode 0600); point session.encryption_key_file at "
            << "it on every instance\n";
  return kExitOk;
}

int runKeysRotate(const CommonOptions& options, const KeysOptions& keys) {
  const auto path = keyFilePath(options, keys);
  if (path.empty()) return kExitProblems;
  auto count = session::rotateKeyFile(path, core::OpenSslRandom::instance());
  if (!count) return keyFileFailed(path, count.error());
  std::cout << "rotated " << path << ": a new key first, " << (*count - 1)
            << " older key(s) kept for reading; restart every instance to use it\n";
  return kExitOk;
}

int runKeysClientJwk(const CommonOptions& options) {
  const auto settings = loadSettings(options, config::processEnvironment());
  const auto& p = settings.config.provider;
  if (p.client_auth_method != "private_key_jwt") {
    std::cerr << "provider.client_auth_method: is " << p.client_auth_method
              << "; client-jwk prints the key of private_key_jwt\n";
    return kExitProblems;
  }
  for (const auto& problem : settings.problems) {
    if (problem.key.rfind("provider.client_", 0) == 0) {
      printProblems({problem}, std::cerr);
      return kExitProblems;
    }
  }
  auto key = gateway::clientSigningKey(p);
  if (!key) {
    std::cerr << "provider.client_private_key_file: " << key.error().message() << " ("
              << core::errorName(key.error()) << ") for provider.client_signing_alg "
              << p.client_signing_alg << "\n";
    return kExitProblems;
  }
  std::cout << boost::json::serialize((*key)->publicJwk) << "\n";
  return kExitOk;
}

}  // namespace authgate::cli
