// Fuzzes stored session records as the session manager reads them back from any store
// (session/session_codec.h, session/token_cipher.h): the record bytes a store returns
// (detail::decodeRecord), the token ciphertext inside (TokenCipher::decrypt with the
// record's key as binding) and the decrypted token-set JSON (detail::decodeTokens). A
// store is trusted less than memory: a corrupted, truncated or older record must be
// refused, never crash. The first byte picks what the rest is:
//   0: record bytes; 1: a token ciphertext; 2: token-set JSON, also sealed and opened.
// Asserts: a decoded record encodes and decodes to the same fields; ciphertext that
// decrypts was made with the key (the fuzzer cannot forge GCM); a decoded token set
// round-trips through encodeTokens.
#include <cstddef>
#include <cstdint>
#include <string>

#include "authgate/core/random.h"
#include "authgate/session/token_cipher.h"
#include "fuzz_support.h"
#include "session/session_codec.h"

using namespace authgate;

namespace {

const session::TokenCipher& cipher() {
  static const session::TokenCipher c = *session::TokenCipher::fromKeys(
      {core::Secret("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")});
  return c;
}

constexpr std::string_view kKey =
    "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";

bool sameFields(const session::Session& a, const session::Session& b) {
  return a.key == b.key && a.publicId == b.publicId && a.subject == b.subject &&
         a.providerSid == b.providerSid && a.email == b.email && a.name == b.name &&
         a.preferredUsername == b.preferredUsername && a.createdAt == b.createdAt &&
         a.lastSeenAt == b.lastSeenAt && a.idleExpiresAt == b.idleExpiresAt &&
         a.absoluteExpiresAt == b.absoluteExpiresAt && a.authTime == b.authTime &&
         a.clientIp == b.clientIp && a.userAgent == b.userAgent && a.state == b.state &&
         a.revokeReason == b.revokeReason && a.endedAt == b.endedAt &&
         a.refreshCount == b.refreshCount;
}

void tokens(std::string_view json) {
  auto t = session::detail::decodeTokens(json);
  if (!t) return;
  auto again =
      session::detail::decodeTokens(session::detail::encodeTokens(t->tokens, t->idTokenClaims));
  if (!again || !(again->tokens.accessToken == t->tokens.accessToken) ||
      !(again->tokens.refreshToken == t->tokens.refreshToken) ||
      !(again->tokens.idToken == t->tokens.idToken) ||
      again->tokens.accessTokenExpiresAt != t->tokens.accessTokenExpiresAt ||
      again->idTokenClaims != t->idTokenClaims) {
    fuzz::fail();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = fuzz::text(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      session::StoreRecord r;
      r.key = std::string(kKey);
      r.publicId = "pub-1";
      r.subject = "auth0|alice";
      r.version = 3;
      r.data = std::string(rest);
      std::string ciphertext;
      auto s = session::detail::decodeRecord(r, &ciphertext);
      if (!s) return 0;
      auto encoded = session::detail::encodeRecord(*s, ciphertext);
      encoded.version = r.version;
      std::string ciphertext2;
      auto back = session::detail::decodeRecord(encoded, &ciphertext2);
      if (!back || !sameFields(*s, *back) || ciphertext2 != ciphertext) fuzz::fail();
      if (auto plain = cipher().decrypt(ciphertext, r.key)) tokens(*plain);
      break;
    }
    case 1: {
      auto plain = cipher().decrypt(rest, kKey);
      if (plain) fuzz::fail();  // only authgate's key makes a valid ciphertext
      break;
    }
    default: {
      tokens(rest);
      core::OpenSslRandom& random = core::OpenSslRandom::instance();
      const std::string sealed = cipher().encrypt(rest, kKey, random);
      auto opened = cipher().decrypt(sealed, kKey);
      if (!opened || *opened != rest) fuzz::fail();
      if (cipher().decrypt(sealed, "another-key")) fuzz::fail();
      break;
    }
  }
  return 0;
}
