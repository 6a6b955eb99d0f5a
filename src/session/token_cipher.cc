#include "authgate/session/token_cipher.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>

#include "authgate/core/base64url.h"
#include "authgate/core/crypto.h"

namespace authgate::session {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;  // SP 800-38D s8.2: 96-bit IVs, random construction
constexpr size_t kTagBytes = 16;
constexpr std::string_view kVersion = "g1";
constexpr std::string_view kAadLabel{"authgate-session-v1\0", 20};

// OpenSSL 3 looks the legacy EVP_aes_256_gcm() up in its provider store (a lock and a
// name map) on every Init, and every session lookup decrypts. Fetch it once.
const EVP_CIPHER* aes256Gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

std::string keyId(std::string_view rawKey) { return core::sha256Hex(rawKey).substr(0, 8); }

std::string aad(std::string_view header, std::string_view binding) {
  std::string a(kAadLabel);
  a.append(header);
  a.push_back('\0');
  a.append(binding);
  return a;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

}  // namespace

Result<TokenCipher> TokenCipher::fromKeys(const std::vector<core::Secret>& keys) {
  if (keys.empty()) return Errc::kNoKey;
  TokenCipher c;
  for (const auto& k : keys) {
    auto raw = core::base64urlDecode(k.reveal());
    if (!raw || raw->size() != kKeyBytes) return Errc::kBadKey;
    c.keys_.push_back({keyId(*raw), core::Secret(std::move(*raw))});
  }
  return c;
}

std::string TokenCipher::encrypt(std::string_view plaintext, std::string_view binding,
                                 core::Random& random) const {
  const Key& key = keys_.front();
  std::string header = std::string(kVersion) + "." + key.id;
  std::string body = random.bytes(kNonceBytes);
  body.resize(kNonceBytes + plaintext.size() + kTagBytes);
  std::string a = aad(header, binding);

  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int total = 0;
  bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), aes256Gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, u8(key.bytes.reveal()), u8(body)) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(a), static_cast<int>(a.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), u8(body) + kNonceBytes, &len, u8(plaintext),
                        static_cast<int>(plaintext.size())) == 1;
  total = len;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), u8(body) + kNonceBytes + total, &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                           u8(body) + kNonceBytes + plaintext.size()) == 1;
  if (!ok) {
    // Encryption of in-memory data with a valid key cannot fail short of a broken
    // OpenSSL; storing plaintext instead would be worse than stopping.
    std::abort();
  }
  return header + "." + core::base64urlEncode(body);
}

Result<std::string> TokenCipher::decrypt(std::string_view ciphertext,
                                         std::string_view binding) const {
  // "g1.<8 hex>.<body>"
  if (ciphertext.size() < 12 || ciphertext.substr(0, 3) != "g1." || ciphertext[11] != '.') {
    return Errc::kDecryptFailed;
  }
  std::string_view header = ciphertext.substr(0, 11);
  std::string_view kid = ciphertext.substr(3, 8);
  const Key* key = nullptr;
  for (const auto& k : keys_) {
    if (k.id == kid) key = &k;
  }
  if (key == nullptr) return Errc::kDecryptFailed;
  auto body = core::base64urlDecode(ciphertext.substr(12));
  if (!body || body->size() < kNonceBytes + kTagBytes) return Errc::kDecryptFailed;

  size_t ctLen = body->size() - kNonceBytes - kTagBytes;
  std::string plain(ctLen, '\0');
  std::string tag = body->substr(kNonceBytes + ctLen);
  std::string a = aad(header, binding);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), aes256Gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, u8(key->bytes.reveal()), u8(*body)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, u8(a), static_cast<int>(a.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), u8(plain), &len, u8(*body) + kNonceBytes,
                        static_cast<int>(ctLen)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1;
  int fin = 0;
  // The tag is checked in Final: nothing decrypted is returned unless it matches.
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), u8(plain) + len, &fin) == 1;
  if (!ok) return Errc::kDecryptFailed;
  return plain;
}

core::Secret generateKey(core::Random& random) { return core::Secret(random.token(kKeyBytes)); }

Result<std::vector<core::Secret>> readKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Errc::kKeyFileError;
  std::vector<core::Secret> keys;
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    auto raw = core::base64urlDecode(t);
    if (!raw || raw->size() != kKeyBytes) return Errc::kBadKey;
    keys.emplace_back(std::move(t));
  }
  if (in.bad()) return Errc::kKeyFileError;
  if (keys.empty()) return Errc::kNoKey;
  return keys;
}

namespace {

constexpr std::string_view kKeyFileHeader =
    "# authgate session encryption keys: newest first, one per line\n";

std::string keyFileContent(const std::vector<core::Secret>& keys) {
  std::string content(kKeyFileHeader);
  for (const auto& k : keys) content += k.reveal() + "\n";
  return content;
}

// Creates `path` (O_EXCL, no symlink followed), mode 0600, with `content`, synced.
// errno EEXIST is left for the caller when the file exists.
bool writeExclusive(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) ::unlink(path.c_str());
  return ok;
}

}  // namespace

Result<KeyFileResult> readOrCreateKeyFile(const std::string& path, core::Random& random) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    auto keys = readKeyFile(path);
    if (!keys) return keys.error();
    return KeyFileResult{std::move(*keys), false};
  }
  if (errno != ENOENT) return Errc::kKeyFileError;
  // O_EXCL: two processes starting at once must not both write a key; the loser reads
  // the winner's file.
  core::Secret key = generateKey(random);
  if (!writeExclusive(path, keyFileContent({key}))) {
    if (errno == EEXIST) {
      auto keys = readKeyFile(path);
      if (!keys) return keys.error();
      return KeyFileResult{std::move(*keys), false};
    }
    return Errc::kKeyFileError;
  }
  return KeyFileResult{{std::move(key)}, true};
}

Result<core::Secret> createKeyFile(const std::string& path, core::Random& random) {
  core::Secret key = generateKey(random);
  if (!writeExclusive(path, keyFileContent({key}))) {
    return errno == EEXIST ? Errc::kKeyFileExists : Errc::kKeyFileError;
  }
  return key;
}

Result<std::size_t> rotateKeyFile(const std::string& path, core::Random& random) {
  auto old = readKeyFile(path);
  if (!old) return old.error();
  std::vector<core::Secret> keys{generateKey(random)};
  keys.insert(keys.end(), old->begin(), old->end());
  const std::string tmp = path + ".rotate-" + random.token(6);
  if (!writeExclusive(tmp, keyFileContent(keys))) return Errc::kKeyFileError;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Errc::kKeyFileError;
  }
  return keys.size();
}

std::string defaultKeyFilePath(std::string_view sqliteDatabasePath) {
  return std::string(sqliteDatabasePath) + ".key";
}

}  // namespace authgate::session
