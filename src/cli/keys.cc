// authgate keys generate|rotate: the session encryption key file (one base64url 32-byte
// key per line, newest first; docs/SESSIONS.md). Keys are never printed.
// authgate keys client-jwk [--request-object]: the public half of the private_key_jwt key
// (or of the request-object key).
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

int runKeysClientJwk(const CommonOptions& options, bool requestObject) {
  const auto settings = loadSettings(options, config::processEnvironment());
  const auto& p = settings.config.provider;
  const std::string file = requestObject ? "provider.request_object_signing_key_file"
                                         : "provider.client_private_key_file";
  if (requestObject && p.request_object_signing_key_file.empty()) {
    std::cerr << file << ": not set; --request-object prints the key of signed authorize "
              << "requests\n";
    return kExitProblems;
  }
  if (!requestObject && p.client_auth_method != "private_key_jwt") {
    std::cerr << "provider.client_auth_method: is " << p.client_auth_method
              << "; client-jwk prints the key of private_key_jwt (--request-object: the key "
                 "of signed authorize requests)\n";
    return kExitProblems;
  }
  const std::string prefix = requestObject ? "provider.request_object_" : "provider.client_";
  for (const auto& problem : settings.problems) {
    if (problem.key.rfind(prefix, 0) == 0) {
      printProblems({problem}, std::cerr);
      return kExitProblems;
    }
  }
  auto key = requestObject ? gateway::requestObjectSigningKey(p) : gateway::clientSigningKey(p);
  if (!key) {
    std::cerr << file << ": " << key.error().message() << " (" << core::errorName(key.error())
              << ") for " << prefix << "signing_alg "
              << (requestObject ? p.request_object_signing_alg : p.client_signing_alg) << "\n";
    return kExitProblems;
  }
  std::cout << boost::json::serialize((*key)->publicJwk) << "\n";
  return kExitOk;
}

}  // namespace authgate::cli
