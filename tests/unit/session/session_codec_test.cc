// The token plaintext inside a stored record: one core::TokenSet and the ID token's
// claims. Records written before the shared TokenSet type must still decode, and new
// ones keep the same field names, so every instance of a rolling upgrade reads both.
#include "session/session_codec.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <set>
#include <string>

#include "authgate/session/errc.h"

namespace authgate::session {
namespace {

// As the earlier codec wrote it (session::TokenSet with idTokenClaims inside).
constexpr std::string_view kStored =
    R"({"at":"access-1","ate":1700003600,"rt":"refresh-1","it":"eyJ.id.sig",)"
    R"("claims":"{\"email_verified\":true}"})";

TEST(SessionCodec, DecodesARecordOfTheEarlierLayout) {
  auto p = detail::decodeTokens(kStored);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->tokens.accessToken.reveal(), "access-1");
  EXPECT_EQ(p->tokens.accessTokenExpiresAt, 1'700'003'600);
  EXPECT_EQ(p->tokens.refreshToken.reveal(), "refresh-1");
  EXPECT_EQ(p->tokens.idToken.reveal(), "eyJ.id.sig");
  EXPECT_EQ(p->idTokenClaims, R"({"email_verified":true})");
}

TEST(SessionCodec, EncodesTheSameFieldNames) {
  auto p = detail::decodeTokens(kStored);
  ASSERT_TRUE(p);
  const std::string encoded = detail::encodeTokens(p->tokens, p->idTokenClaims);
  auto v = boost::json::parse(encoded);
  ASSERT_TRUE(v.is_object());
  std::set<std::string> keys;
  for (const auto& kv : v.as_object()) keys.insert(std::string(kv.key()));
  EXPECT_EQ(keys, (std::set<std::string>{"at", "ate", "rt", "it", "claims"}));
  EXPECT_EQ(v.as_object().at("ate").as_int64(), 1'700'003'600);
  EXPECT_EQ(v.as_object().at("claims").as_string(), R"({"email_verified":true})");
  EXPECT_EQ(boost::json::parse(kStored), v) << "the same record, field for field";
}

TEST(SessionCodec, RefusesARecordWithoutTheClaims) {
  auto p = detail::decodeTokens(R"({"at":"a","ate":1,"rt":"","it":""})");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), make_error_code(Errc::kCorruptRecord));
}

}  // namespace
}  // namespace authgate::session
