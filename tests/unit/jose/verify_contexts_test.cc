// The per-key verification contexts (src/jose/verify_contexts.h): a copied context
// checks exactly like a freshly set-up one, for every asymmetric algorithm, from many
// threads, and never for a key it was not made for.
#include "jose/verify_contexts.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "authgate/jose/errc.h"
#include "test_signer.h"

namespace authgate::jose {
namespace {

using testing::makeEcKey;
using testing::makeEd25519Key;
using testing::makeRsaKey;
using testing::signCompact;
using testing::TestKey;

constexpr std::string_view kPayload = R"({"sub":"auth0|42","iss":"https://t.example/"})";

std::string headerFor(Alg alg) { return R"({"alg":")" + std::string(algName(alg)) + R"("})"; }

Jwk jwkOf(const TestKey& k) {
  auto j = parseJwk(testing::jsonText(k.jwk));
  EXPECT_TRUE(j) << (j ? "" : j.error().message());
  return j ? std::move(*j) : Jwk{};
}

// The same token with one signature byte flipped.
std::string tampered(const std::string& token) {
  std::string t = token;
  char& c = t[t.size() - 5];
  c = c == 'A' ? 'B' : 'A';
  return t;
}

error_code check(const std::string& token, Alg alg, const Jwk& key) {
  auto jws = parseCompactJws(token);
  if (!jws) return jws.error();
  return verifyAsymmetric(*jws, alg, key);
}

struct Case {
  Alg alg;
  TestKey key;
};

std::vector<Case> everyAlgorithm() {
  TestKey rsa = makeRsaKey(2048, "");
  return {{Alg::kRS256, rsa},
          {Alg::kRS384, rsa},
          {Alg::kRS512, rsa},
          {Alg::kPS256, rsa},
          {Alg::kPS384, rsa},
          {Alg::kPS512, rsa},
          {Alg::kES256, makeEcKey("P-256", "")},
          {Alg::kES384, makeEcKey("P-384", "")},
          {Alg::kES512, makeEcKey("P-521", "")},
          {Alg::kEdDSA, makeEd25519Key("")}};
}

TEST(VerifyContexts, ParsedKeysKeepOneAndItCopiesForEveryAsymmetricAlgorithm) {
  for (const auto& c : everyAlgorithm()) {
    Jwk key = jwkOf(c.key);
    ASSERT_NE(key.contexts, nullptr);
    auto first = key.contexts->copyFor(c.alg, key.pkey);
    auto second = key.contexts->copyFor(c.alg, key.pkey);
    EXPECT_NE(first, nullptr) << algName(c.alg);
    EXPECT_NE(second, nullptr) << algName(c.alg);
  }
}

TEST(VerifyContexts, CopiesCarryNothingFromAnEarlierCheck) {
  for (const auto& c : everyAlgorithm()) {
    Jwk key = jwkOf(c.key);
    std::string good = signCompact(c.alg, c.key.pkey.get(), headerFor(c.alg), kPayload);
    // good, bad, good, bad: each check starts from the kept context, never from the
    // one before it.
    for (int round = 0; round < 2; ++round) {
      EXPECT_FALSE(check(good, c.alg, key)) << algName(c.alg);
      EXPECT_EQ(check(tampered(good), c.alg, key), make_error_code(Errc::kBadSignature))
          << algName(c.alg);
    }
  }
}

TEST(VerifyContexts, AKeyWithoutThemVerifiesTheSame) {
  for (const auto& c : everyAlgorithm()) {
    Jwk key = jwkOf(c.key);
    key.contexts.reset();
    std::string good = signCompact(c.alg, c.key.pkey.get(), headerFor(c.alg), kPayload);
    EXPECT_FALSE(check(good, c.alg, key)) << algName(c.alg);
    EXPECT_EQ(check(tampered(good), c.alg, key), make_error_code(Errc::kBadSignature));
  }
}

TEST(VerifyContexts, NeverServeAKeyTheyWereNotMadeFor) {
  TestKey a = makeRsaKey(2048, "");
  TestKey b = makeRsaKey(2048, "");
  Jwk key = jwkOf(a);
  std::string byA = signCompact(Alg::kRS256, a.pkey.get(), headerFor(Alg::kRS256), kPayload);
  std::string byB = signCompact(Alg::kRS256, b.pkey.get(), headerFor(Alg::kRS256), kPayload);
  ASSERT_FALSE(check(byA, Alg::kRS256, key));  // a's context is now kept

  // The Jwk's key replaced by hand: the contexts made for a must not be used.
  key.pkey = jwkOf(b).pkey;
  EXPECT_EQ(key.contexts->copyFor(Alg::kRS256, key.pkey), nullptr);
  EXPECT_FALSE(check(byB, Alg::kRS256, key));
  EXPECT_EQ(check(byA, Alg::kRS256, key), make_error_code(Errc::kBadSignature));
}

TEST(VerifyContexts, RefuseHmac) {
  Jwk key = jwkOf(makeRsaKey(2048, ""));
  EXPECT_EQ(key.contexts->copyFor(Alg::kHS256, key.pkey), nullptr);
}

TEST(VerifyContexts, ManyThreadsOnOneKey) {
  TestKey k = makeRsaKey(2048, "");
  Jwk key = jwkOf(k);
  std::string rs = signCompact(Alg::kRS256, k.pkey.get(), headerFor(Alg::kRS256), kPayload);
  std::string ps = signCompact(Alg::kPS256, k.pkey.get(), headerFor(Alg::kPS256), kPayload);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const bool pss = (i + t) % 2 == 0;
        const std::string& token = pss ? ps : rs;
        const Alg alg = pss ? Alg::kPS256 : Alg::kRS256;
        if (check(token, alg, key)) ++wrong;
        if (check(tampered(token), alg, key) != make_error_code(Errc::kBadSignature)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace authgate::jose
