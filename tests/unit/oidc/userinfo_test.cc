#include "authgate/oidc/userinfo.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace authgate::oidc {
namespace {

TEST(Userinfo, AcceptsMatchingSub) {
  auto u = parseUserinfo(R"({"sub":"auth0|1","email":"a@b.c"})", "auth0|1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->at("email").as_string(), "a@b.c");
}

TEST(Userinfo, RejectsOtherSubject) {
  EXPECT_EQ(parseUserinfo(R"({"sub":"auth0|2"})", "auth0|1").error(),
            make_error_code(Errc::kUserinfoSubjectMismatch));
  EXPECT_EQ(parseUserinfo(R"({"sub":"AUTH0|1"})", "auth0|1").error(),
            make_error_code(Errc::kUserinfoSubjectMismatch));
}

TEST(Userinfo, RejectsMalformed) {
  for (auto bad : {"", "[]", "<html>", R"({"email":"a@b.c"})", R"({"sub":1})", R"({"sub":""})"}) {
    EXPECT_EQ(parseUserinfo(bad, "x").error(), make_error_code(Errc::kBadUserinfo)) << bad;
  }
}

TEST(Userinfo, MergeNeverOverridesProtocolClaims) {
  auto id = boost::json::parse(R"({"sub":"a","iss":"https://i/","email":"old@x.y","nonce":"n"})")
                .as_object();
  auto ui = boost::json::parse(
                R"({"sub":"a","iss":"https://evil/","email":"new@x.y","nonce":"m","name":"N"})")
                .as_object();
  auto m = mergeUserinfoClaims(id, ui);
  EXPECT_EQ(m.at("iss").as_string(), "https://i/");
  EXPECT_EQ(m.at("nonce").as_string(), "n");
  EXPECT_EQ(m.at("email").as_string(), "new@x.y");
  EXPECT_EQ(m.at("name").as_string(), "N");
}

}  // namespace
}  // namespace authgate::oidc
