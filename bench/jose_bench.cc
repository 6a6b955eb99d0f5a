// JWT verification throughput on one core: authgate's full verifyJwt (parse, strict
// JSON, alg/key rules, signature, claim checks) against OpenSSL's raw
// EVP_DigestVerify on the same key and the same signing input, in the same run (set
// up per signature, as most callers do, and copied from a context set up once); plus
// the already-verified path (VerifiedTokenCache hit through CachingVerifier).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <boost/json/serialize.hpp>
#include <memory>
#include <string>

#include "authgate/core/base64url.h"
#include "authgate/jose/json.h"
#include "authgate/jose/jwks_cache.h"
#include "authgate/jose/jwt.h"
#include "authgate/jose/verified_token_cache.h"
#include "test_signer.h"

namespace {

using namespace authgate;
using namespace authgate::jose;

constexpr int64_t kNow = 1'700'000'000;
const std::string kIssuer = "https://tenant.eu.auth0.com/";
const std::string kClient = "Zx8Bq0Tt3aVt9yKJd4c2s1NnQe7wVhVf";

struct Fixture {
  testing::TestKey key;
  Alg alg;
  std::string token;
  std::string signingInput;
  std::string rawSignature;  // as EVP expects it (DER for ECDSA)
  KeyStore keys;
};

// An Auth0-shaped ID token.
std::string claims() {
  boost::json::object c{{"iss", kIssuer},
                        {"sub", "auth0|64f0c1e2a3b4c5d6e7f80912"},
                        {"aud", kClient},
                        {"iat", kNow - 5},
                        {"exp", kNow + 36000},
                        {"sid", "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"},
                        {"nonce", "Y2FmZWJhYmUtY2FmZWJhYmUtY2FmZWJhYmU"},
                        {"email", "jane.doe@example.com"},
                        {"email_verified", true},
                        {"name", "Jane Doe"},
                        {"nickname", "jane.doe"},
                        {"picture", "https://s.gravatar.com/avatar/0123456789abcdef.png"},
                        {"updated_at", "2023-11-14T22:13:15.000Z"}};
  return boost::json::serialize(c);
}

std::string rawToDer(const std::string& raw) {
  // Re-sign is not possible here; convert R||S to DER the same way OpenSSL would emit.
  auto half = raw.size() / 2;
  auto intDer = [](std::string v) {
    size_t i = 0;
    while (i + 1 < v.size() && v[i] == '\0') ++i;
    v = v.substr(i);
    if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(0, 1, '\0');
    return std::string("\x02", 1) + static_cast<char>(v.size()) + v;
  };
  std::string body = intDer(raw.substr(0, half)) + intDer(raw.substr(half));
  return std::string("\x30", 1) + static_cast<char>(body.size()) + body;
}

Fixture make(Alg alg) {
  Fixture f{
      alg == Alg::kRS256 ? testing::makeRsaKey(2048, "k1") : testing::makeEcKey("P-256", "k1"),
      alg,
      "",
      "",
      "",
      {}};
  std::string header =
      std::string(R"({"alg":")") + std::string(algName(alg)) + R"(","typ":"JWT","kid":"k1"})";
  f.token = testing::signCompact(alg, f.key.pkey.get(), header, claims());
  f.signingInput = f.token.substr(0, f.token.rfind('.'));
  f.rawSignature = *core::base64urlDecode(f.token.substr(f.token.rfind('.') + 1));
  if (alg == Alg::kES256) f.rawSignature = rawToDer(f.rawSignature);
  f.keys = *parseJwks(testing::jwksOf({&f.key.jwk}));
  return f;
}

const Fixture& fixture(Alg alg) {
  static const Fixture rs = make(Alg::kRS256);
  static const Fixture es = make(Alg::kES256);
  return alg == Alg::kRS256 ? rs : es;
}

VerifyPolicy policy(Alg alg) {
  VerifyPolicy p = VerifyPolicy::idToken(kIssuer, kClient);
  p.allowedAlgs = {alg};
  p.nonce = "Y2FmZWJhYmUtY2FmZWJhYmUtY2FmZWJhYmU";
  return p;
}

// `imported`: the EVP_PKEY authgate built from the JWK rather than the generated key.
void rawVerifyWith(benchmark::State& state, Alg alg, bool imported) {
  const Fixture& f = fixture(alg);
  EVP_PKEY* pkey = imported ? f.keys.keys()[0].pkey.get() : f.key.pkey.get();
  const EVP_MD* md = EVP_sha256();
  auto in = reinterpret_cast<const unsigned char*>(f.signingInput.data());
  auto sig = reinterpret_cast<const unsigned char*>(f.rawSignature.data());
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, pkey);
    int rc = EVP_DigestVerify(ctx, sig, f.rawSignature.size(), in, f.signingInput.size());
    EVP_MD_CTX_free(ctx);
    if (rc != 1) state.SkipWithError("raw verify failed");
    benchmark::DoNotOptimize(rc);
  }
  state.SetItemsProcessed(state.iterations());
}

void rawVerify(benchmark::State& state, Alg alg) { rawVerifyWith(state, alg, false); }
void rawVerifyImportedKey(benchmark::State& state, Alg alg) { rawVerifyWith(state, alg, true); }

// OpenSSL used at its fastest for one key: a context set up once, copied for each
// signature (what authgate does per key since src/jose/verify_contexts.h).
void rawVerifyCopiedContext(benchmark::State& state, Alg alg) {
  const Fixture& f = fixture(alg);
  EVP_MD_CTX* setUp = EVP_MD_CTX_new();
  EVP_DigestVerifyInit(setUp, nullptr, EVP_sha256(), nullptr, f.key.pkey.get());
  auto in = reinterpret_cast<const unsigned char*>(f.signingInput.data());
  auto sig = reinterpret_cast<const unsigned char*>(f.rawSignature.data());
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_MD_CTX_copy_ex(ctx, setUp);
    int rc = EVP_DigestVerify(ctx, sig, f.rawSignature.size(), in, f.signingInput.size());
    EVP_MD_CTX_free(ctx);
    if (rc != 1) state.SkipWithError("raw verify failed");
    benchmark::DoNotOptimize(rc);
  }
  EVP_MD_CTX_free(setUp);
  state.SetItemsProcessed(state.iterations());
}

// Everything but the signature: parsing, JSON, claim checks.
void parseAndClaims(benchmark::State& state, Alg alg) {
  const Fixture& f = fixture(alg);
  const VerifyPolicy p = policy(alg);
  core::ManualClock clock(kNow);
  for (auto _ : state) {
    auto jws = parseCompactJws(f.token);
    auto payload = decodePayload(*jws);
    auto c = parseStrictJsonObject(*payload);
    benchmark::DoNotOptimize(checkIssuer(*c, p.issuer));
    benchmark::DoNotOptimize(checkAudience(*c, p.audiences));
    benchmark::DoNotOptimize(checkExpiry(*c, kNow, 60, true));
  }
  state.SetItemsProcessed(state.iterations());
}

// authgate's signature stage alone (key checks, length checks, EVP) on a parsed token.
void signatureStageOnly(benchmark::State& state, Alg alg) {
  const Fixture& f = fixture(alg);
  auto jws = *parseCompactJws(f.token);
  for (auto _ : state) {
    auto ec = verifyAsymmetric(jws, alg, f.keys.keys()[0]);
    if (ec) state.SkipWithError("signature failed");
    benchmark::DoNotOptimize(ec);
  }
  state.SetItemsProcessed(state.iterations());
}

void authgateVerify(benchmark::State& state, Alg alg) {
  const Fixture& f = fixture(alg);
  const VerifyPolicy p = policy(alg);
  core::ManualClock clock(kNow);
  for (auto _ : state) {
    auto r = verifyJwt(f.token, f.keys, p, clock);
    if (!r) state.SkipWithError("verifyJwt failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void cachedVerify(benchmark::State& state, Alg alg) {
  const Fixture& f = fixture(alg);
  core::ManualClock clock(kNow);
  std::string jwks = testing::jwksOf({&f.key.jwk});
  JwksCache cache(
      "https://tenant.eu.auth0.com/.well-known/jwks.json",
      [&](const std::string&) {
        return Result<FetchedJwks>(FetchedJwks{jwks, {}});
      },
      clock);
  VerifyPolicy p = policy(alg);
  p.nonce.reset();  // per-login values are never cached; bearer tokens have none
  CachingVerifier verifier(cache, p, clock, 1024);
  if (!verifier.verify(f.token)) state.SkipWithError("first verify failed");
  for (auto _ : state) {
    auto r = verifier.verify(f.token);
    if (!r) state.SkipWithError("cached verify failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(rawVerify, RS256, Alg::kRS256);
BENCHMARK_CAPTURE(rawVerifyImportedKey, RS256, Alg::kRS256);
BENCHMARK_CAPTURE(rawVerifyCopiedContext, RS256, Alg::kRS256);
BENCHMARK_CAPTURE(parseAndClaims, RS256, Alg::kRS256);
BENCHMARK_CAPTURE(authgateVerify, RS256, Alg::kRS256);
BENCHMARK_CAPTURE(rawVerify, ES256, Alg::kES256);
BENCHMARK_CAPTURE(rawVerifyCopiedContext, ES256, Alg::kES256);
BENCHMARK_CAPTURE(authgateVerify, ES256, Alg::kES256);
BENCHMARK_CAPTURE(signatureStageOnly, RS256, Alg::kRS256);
BENCHMARK_CAPTURE(cachedVerify, RS256, Alg::kRS256);
BENCHMARK_CAPTURE(cachedVerify, ES256, Alg::kES256);

}  // namespace

BENCHMARK_MAIN();
