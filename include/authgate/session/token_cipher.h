// AES-256-GCM for session tokens at rest (NIST SP 800-38D), with key rotation: the
// first (newest) key encrypts, every configured key decrypts. Each ciphertext names
// its key and is bound to its record through the AAD, so a ciphertext copied into
// another session record does not decrypt.
//
// Format (text, so it fits JSON and every backend):
//   "g1." kid "." base64url(nonce[12] || ciphertext || tag[16])
// kid = first 8 hex digits of SHA-256(key): identifies, never reveals, the key.
// AAD = "authgate-session-v1\0" || header ("g1.<kid>") || "\0" || record binding
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/errc.h"
#include "authgate/core/random.h"
#include "authgate/core/secret.h"
#include "authgate/session/errc.h"

namespace authgate::session {

class TokenCipher {
 public:
  // `keys`: base64url of 32 random bytes each, newest first. Fails with kNoKey when
  // empty and kBadKey when one does not decode to exactly 32 bytes.
  static Result<TokenCipher> fromKeys(const std::vector<core::Secret>& keys);

  // `binding` is the record's store key; it becomes part of the AAD.
  std::string encrypt(std::string_view plaintext, std::string_view binding,
                      core::Random& random) const;
  // kDecryptFailed for a bad format, an unknown key id, a wrong binding or any
  // tampering (GCM tag mismatch).
  Result<std::string> decrypt(std::string_view ciphertext, std::string_view binding) const;

  // Key id of the key new ciphertexts use.
  const std::string& currentKeyId() const { return keys_.front().id; }

 private:
  struct Key {
    std::string id;      // 8 hex digits
    core::Secret bytes;  // 32 raw bytes
  };
  TokenCipher() = default;
  std::vector<Key> keys_;
};

// Key file: one base64url 32-byte key per line, newest first; blank lines and lines
// starting with '#' are ignored. Matches config `session.encryption_key_file`.
Result<std::vector<core::Secret>> readKeyFile(const std::string& path);

struct KeyFileResult {
  std::vector<core::Secret> keys;
  bool created = false;  // true: a new key was generated; the caller should say so
};

// For the embedded default with no key configured: reads `path`, or creates it with
// one fresh key, mode 0600, refusing to follow an existing file it did not create
// (O_EXCL). The caller logs "created session key file PATH" when `created`.
Result<KeyFileResult> readOrCreateKeyFile(const std::string& path, core::Random& random);

// `authgate keys generate`: a new key file at `path` with one fresh key, mode 0600.
// kKeyFileExists when `path` exists (never overwritten: the keys in it may be the only
// way to read stored tokens); kKeyFileError when it cannot be written.
Result<core::Secret> createKeyFile(const std::string& path, core::Random& random);

// `authgate keys rotate`: a fresh key first, then every key the file held (still read,
// so tokens encrypted before decrypt), written to a 0600 temporary file beside `path`
// and renamed over it (a reader sees the old file or the new, never half of one).
// Returns the number of keys now in the file. The file must exist and be valid.
Result<std::size_t> rotateKeyFile(const std::string& path, core::Random& random);

// Where the embedded default keeps its generated key: beside the SQLite database.
std::string defaultKeyFilePath(std::string_view sqliteDatabasePath);

// A fresh key in key-file form (base64url of 32 random bytes).
core::Secret generateKey(core::Random& random);

}  // namespace authgate::session
