#include "authgate/core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

namespace authgate::core {

bool constantTimeEqual(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

// OpenSSL 3's one-shot SHA256() looks the algorithm up in the provider store (a
// read-write lock) on every call; session lookups hash a cookie per request. Fetch it
// once, and keep one digest context per thread.
const EVP_MD* sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct DigestCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestCtx() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Sha256Digest sha256(std::string_view data) {
  Sha256Digest out{};
  thread_local DigestCtx d;
  const EVP_MD* md = sha256Md();
  unsigned int n = 0;
  if (md == nullptr || d.ctx == nullptr || EVP_DigestInit_ex2(d.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(d.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(d.ctx, out.data(), &n) != 1 || n != out.size()) {
    // Not expected with a working libcrypto; the one-shot call has its own fallbacks.
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  }
  return out;
}

std::string hexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHex[c >> 4];
    out[2 * i + 1] = kHex[c & 15];
  }
  return out;
}

std::string sha256Hex(std::string_view data) {
  auto d = sha256(data);
  return hexEncode({reinterpret_cast<const char*>(d.data()), d.size()});
}

}  // namespace authgate::core
