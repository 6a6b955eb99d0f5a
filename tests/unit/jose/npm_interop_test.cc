// Tokens signed by npm `jose` (tests/tooling/jose_gen.mjs), an independent JOSE
// implementation: every supported alg must verify, and each labelled bad variant must
// fail with exactly the named error.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>

#include "authgate/core/base64url.h"
#include "authgate/jose/errc.h"
#include "authgate/jose/jwt.h"

#ifndef AUTHGATE_JOSE_NPM_FIXTURE
#error "AUTHGATE_JOSE_NPM_FIXTURE must name the generated fixture file"
#endif

namespace authgate::jose {
namespace {

boost::json::object loadFixture() {
  std::ifstream in(AUTHGATE_JOSE_NPM_FIXTURE);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << "missing fixture " << AUTHGATE_JOSE_NPM_FIXTURE;
  return boost::json::parse(ss.str()).as_object();
}

TEST(NpmJoseInterop, EveryTokenVerifiesOrFailsAsLabelled) {
  auto fx = loadFixture();
  auto keys = parseJwks(boost::json::serialize(fx.at("jwks")));
  ASSERT_TRUE(keys) << keys.error().message();
  // The encryption key and the 1024-bit key are skipped, the ten signing keys kept.
  EXPECT_EQ(keys->size(), 10u);
  EXPECT_EQ(keys->skipped().size(), 2u);

  VerifyPolicy policy;
  policy.issuer = std::string(fx.at("issuer").as_string());
  policy.audiences = {std::string(fx.at("audience").as_string())};
  policy.allowedAlgs = {Alg::kRS256, Alg::kRS384, Alg::kRS512, Alg::kPS256, Alg::kPS384,
                        Alg::kPS512, Alg::kES256, Alg::kES384, Alg::kES512, Alg::kEdDSA,
                        Alg::kHS256, Alg::kHS384, Alg::kHS512};
  policy.sharedSecret =
      core::Secret(*core::base64urlDecode(std::string(fx.at("hmacSecret").as_string())));
  core::ManualClock clock(fx.at("now").as_int64());

  size_t ok = 0, rejected = 0;
  for (const auto& v : fx.at("tokens").as_array()) {
    const auto& t = v.as_object();
    std::string name(t.at("name").as_string());
    std::string expect(t.at("expect").as_string());
    auto r = verifyJwt(std::string(t.at("token").as_string()), *keys, policy, clock);
    if (expect == "ok") {
      EXPECT_TRUE(r) << name << ": " << (r ? "" : core::errorName(r.error()));
      ++ok;
    } else {
      ASSERT_FALSE(r) << name << " should fail with " << expect;
      EXPECT_EQ(core::errorName(r.error()), expect) << name;
      ++rejected;
    }
  }
  EXPECT_EQ(ok, 14u);  // 13 algs + the audience-array variant
  EXPECT_GE(rejected, 15u);
}

}  // namespace
}  // namespace authgate::jose
