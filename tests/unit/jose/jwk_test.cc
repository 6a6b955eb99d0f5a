#include "authgate/jose/jwk.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "authgate/core/base64url.h"
#include "authgate/jose/errc.h"
#include "test_signer.h"

namespace authgate::jose {
namespace {

using testing::b64;

const testing::TestKey& rsa() {
  static const testing::TestKey k = testing::makeRsaKey(2048, "r1");
  return k;
}

Errc errorOf(const boost::json::object& jwk) {
  auto r = parseJwk(jwk);
  if (r) return Errc::kOk;
  EXPECT_EQ(&r.error().category(), &make_error_code(Errc::kOk).category());
  return static_cast<Errc>(r.error().value());
}

TEST(Jwk, ParsesEachSupportedKeyType) {
  auto r = parseJwk(rsa().jwk);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->type, KeyType::kRsa);
  EXPECT_EQ(r->bits, 2048);
  EXPECT_EQ(r->kid, "r1");
  for (const char* crv : {"P-256", "P-384", "P-521"}) {
    auto ec = parseJwk(testing::makeEcKey(crv, "e").jwk);
    ASSERT_TRUE(ec) << crv;
    EXPECT_EQ(ec->crv, crv);
  }
  auto ed = parseJwk(testing::makeEd25519Key("").jwk);
  ASSERT_TRUE(ed);
  EXPECT_EQ(ed->type, KeyType::kOkp);
  EXPECT_TRUE(ed->kid.empty());
}

TEST(Jwk, RejectsRsaKeyBelow2048Bits) {
  auto weak = testing::makeRsaKey(1024, "weak");
  EXPECT_EQ(errorOf(weak.jwk), Errc::kWeakRsaKey);
  auto almost = testing::makeRsaKey(2040, "weak2");
  EXPECT_EQ(errorOf(almost.jwk), Errc::kWeakRsaKey);
}

TEST(Jwk, RejectsEcPointNotOnTheCurve) {
  auto k = testing::makeEcKey("P-256", "e");
  auto y = *core::base64urlDecode(std::string(k.jwk["y"].as_string()));
  y[31] = static_cast<char>(y[31] ^ 0x01);
  k.jwk["y"] = b64(y);
  EXPECT_EQ(errorOf(k.jwk), Errc::kEcPointNotOnCurve);
  // The point at (0, 0) and coordinates >= p are not points on P-256 either.
  k.jwk["x"] = b64(std::string(32, '\0'));
  k.jwk["y"] = b64(std::string(32, '\0'));
  EXPECT_EQ(errorOf(k.jwk), Errc::kEcPointNotOnCurve);
  k.jwk["x"] = b64(std::string(32, '\xff'));
  EXPECT_EQ(errorOf(k.jwk), Errc::kEcPointNotOnCurve);
}

TEST(Jwk, RejectsMalformedMembers) {
  struct Case {
    const char* name;
    std::function<void(boost::json::object&)> edit;
    Errc expected;
  };
  auto ec = testing::makeEcKey("P-256", "e").jwk;
  std::vector<std::pair<boost::json::object, Case>> cases = {
      {rsa().jwk, {"missing n", [](auto& o) { o.erase("n"); }, Errc::kBadJwk}},
      {rsa().jwk, {"n not string", [](auto& o) { o["n"] = 5; }, Errc::kBadJwk}},
      {rsa().jwk,
       {"n padded", [](auto& o) { o["n"] = std::string(o["n"].as_string()) + "=="; },
        Errc::kBadJwk}},
      {rsa().jwk, {"even exponent", [](auto& o) { o["e"] = "AQAA"; }, Errc::kBadJwk}},
      {rsa().jwk, {"exponent one", [](auto& o) { o["e"] = "AQ"; }, Errc::kBadJwk}},
      {rsa().jwk, {"kid not string", [](auto& o) { o["kid"] = 1; }, Errc::kBadJwk}},
      {rsa().jwk, {"no kty", [](auto& o) { o.erase("kty"); }, Errc::kBadJwk}},
      {rsa().jwk, {"use enc", [](auto& o) { o["use"] = "enc"; }, Errc::kUnusableKey}},
      {rsa().jwk,
       {"key_ops without verify", [](auto& o) { o["key_ops"] = boost::json::array{"encrypt"}; },
        Errc::kUnusableKey}},
      {rsa().jwk, {"encryption alg", [](auto& o) { o["alg"] = "RSA-OAEP"; }, Errc::kUnusableKey}},
      {rsa().jwk,
       {"oct key",
        [](auto& o) {
          o["kty"] = "oct";
          o["k"] = "AAAA";
        },
        Errc::kUnsupportedKeyType}},
      {rsa().jwk, {"unknown kty", [](auto& o) { o["kty"] = "XYZ"; }, Errc::kUnsupportedKeyType}},
      {ec, {"short x", [](auto& o) { o["x"] = b64(std::string(31, '\1')); }, Errc::kBadJwk}},
      {ec, {"unknown curve", [](auto& o) { o["crv"] = "P-192"; }, Errc::kUnsupportedKeyType}},
      {ec, {"secp256k1", [](auto& o) { o["crv"] = "secp256k1"; }, Errc::kUnsupportedKeyType}},
  };
  for (auto& [jwk, c] : cases) {
    c.edit(jwk);
    EXPECT_EQ(errorOf(jwk), c.expected) << c.name;
  }
  EXPECT_EQ(errorOf(boost::json::object{{"kty", "OKP"}, {"crv", "Ed448"}, {"x", "AAAA"}}),
            Errc::kUnsupportedKeyType);
  EXPECT_EQ(errorOf(boost::json::object{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AAAA"}}),
            Errc::kBadJwk);
}

TEST(Jwks, SkipsUnusableKeysButKeepsTheRest) {
  boost::json::object enc = rsa().jwk;
  enc["kid"] = "enc-key";
  enc["use"] = "enc";
  boost::json::object unknown{{"kty", "XYZ"}, {"kid", "x"}};
  auto weak = testing::makeRsaKey(1024, "weak").jwk;
  auto ec = testing::makeEcKey("P-384", "").jwk;
  auto set = parseJwks(testing::jwksOf({&enc, &unknown, &rsa().jwk, &weak, &ec}));
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(set->size(), 2u);
  EXPECT_TRUE(set->containsKid("r1"));
  EXPECT_FALSE(set->containsKid("enc-key"));
  EXPECT_EQ(set->withoutKid().size(), 1u);
  ASSERT_EQ(set->skipped().size(), 3u);
  EXPECT_EQ(set->skipped()[0].kid, "enc-key");
  EXPECT_EQ(set->skipped()[0].reason, Errc::kUnusableKey);
  EXPECT_EQ(set->skipped()[2].reason, Errc::kWeakRsaKey);
}

TEST(Jwks, RejectsBrokenSets) {
  auto expect = [](const std::string& text, Errc e) {
    auto r = parseJwks(text);
    ASSERT_FALSE(r) << text.substr(0, 60);
    EXPECT_EQ(r.error(), make_error_code(e)) << r.error().message();
  };
  expect("[]", Errc::kBadJwks);
  expect("{}", Errc::kBadJwks);
  expect(R"({"keys":{}})", Errc::kBadJwks);
  expect(R"({"keys":[]})", Errc::kNoUsableKeys);
  expect(R"({"keys":[{"kty":"oct","k":"AAAA"}]})", Errc::kNoUsableKeys);
  expect(R"({"keys":[],"keys":[]})", Errc::kDuplicateJsonMember);
  expect("{", Errc::kBadJson);
  std::string many = R"({"keys":[)";
  for (int i = 0; i < 51; ++i) many += (i ? "," : "") + boost::json::serialize(rsa().jwk);
  expect(many + "]}", Errc::kTooManyKeys);
  expect(R"({"keys":[],"pad":")" + std::string(300 * 1024, 'x') + "\"}", Errc::kJwksTooLarge);
}

TEST(Jwks, IndexesKeysByKid) {
  auto a = testing::makeEcKey("P-256", "a").jwk;
  auto b = testing::makeEcKey("P-256", "b").jwk;
  auto b2 = testing::makeEcKey("P-256", "b").jwk;
  auto set = parseJwks(testing::jwksOf({&a, &b, &b2}));
  ASSERT_TRUE(set);
  EXPECT_EQ(set->withKid("a").size(), 1u);
  EXPECT_EQ(set->withKid("b").size(), 2u);
  EXPECT_TRUE(set->withKid("c").empty());
}

}  // namespace
}  // namespace authgate::jose
