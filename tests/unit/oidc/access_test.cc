#include "authgate/oidc/access.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace authgate::oidc {
namespace {

boost::json::object claims(std::string_view json) { return boost::json::parse(json).as_object(); }

TEST(AccessRules, NoRulesAllowsEveryone) {
  auto d = evaluateAccess({}, claims(R"({"sub":"u"})"));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, Errc::kOk);
  EXPECT_FALSE(d.is_admin);
}

struct DomainCase {
  const char* email;
  bool allowed;
};

class EmailDomain : public ::testing::TestWithParam<DomainCase> {};

TEST_P(EmailDomain, ExactDomainMatchOnly) {
  AccessPolicy p;
  p.allowed_email_domains = {"example.com", "@Corp.Example.org"};
  boost::json::object c{{"sub", "u"}, {"email", GetParam().email}, {"email_verified", true}};
  auto d = evaluateAccess(p, c);
  EXPECT_EQ(d.allowed, GetParam().allowed) << GetParam().email;
  if (!d.allowed) {
    EXPECT_EQ(d.reason, *GetParam().email ? Errc::kEmailDomainNotAllowed : Errc::kEmailMissing);
    EXPECT_EQ(d.rule, "access.allowed_email_domains");  // never the email itself
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, EmailDomain,
    ::testing::Values(DomainCase{"alice@example.com", true}, DomainCase{"Alice@EXAMPLE.COM", true},
                      DomainCase{"bob@corp.example.org", true},
                      DomainCase{"mallory@evil-example.com", false},
                      DomainCase{"mallory@example.com.evil.io", false},
                      DomainCase{"mallory@sub.example.com", false},
                      DomainCase{"mallory@notexample.com", false},
                      DomainCase{"example.com@evil.io", false},
                      DomainCase{"mallory@evil.io@example.com", true},  // last '@' decides
                      DomainCase{"mallory@example.com.", false}, DomainCase{"@example.com", false},
                      DomainCase{"mallory", false}, DomainCase{"", false}));

TEST(AccessRules, DomainRuleWithoutEmailIsDenied) {
  AccessPolicy p;
  p.allowed_email_domains = {"example.com"};
  auto d = evaluateAccess(p, claims(R"({"sub":"u"})"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, Errc::kEmailMissing);
  auto notString = evaluateAccess(p, claims(R"({"sub":"u","email":["a@example.com"]})"));
  EXPECT_EQ(notString.reason, Errc::kEmailMissing);
}

TEST(AccessRules, AllowedEmailsAreCaseInsensitiveAndOrWithDomains) {
  AccessPolicy p;
  p.allowed_emails = {"Boss@Partner.io"};
  EXPECT_TRUE(evaluateAccess(p, claims(R"({"email":"boss@partner.io"})")).allowed);
  auto d = evaluateAccess(p, claims(R"({"email":"boss@partner.io.evil"})"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, Errc::kEmailNotAllowed);
  EXPECT_EQ(d.rule, "access.allowed_emails");
  p.allowed_email_domains = {"example.com"};
  EXPECT_TRUE(evaluateAccess(p, claims(R"({"email":"a@example.com"})")).allowed);
  EXPECT_TRUE(evaluateAccess(p, claims(R"({"email":"BOSS@partner.io"})")).allowed);
  EXPECT_EQ(evaluateAccess(p, claims(R"({"email":"x@partner.io"})")).reason,
            Errc::kEmailNotAllowed);
}

TEST(AccessRules, EmailVerifiedMustBeBooleanTrue) {
  AccessPolicy p;
  p.require_email_verified = true;
  EXPECT_TRUE(evaluateAccess(p, claims(R"({"email":"a@b.c","email_verified":true})")).allowed);
  for (auto bad : {R"({"email":"a@b.c","email_verified":false})",
                   R"({"email":"a@b.c","email_verified":"true"})",
                   R"({"email":"a@b.c","email_verified":1})", R"({"email":"a@b.c"})"}) {
    auto d = evaluateAccess(p, claims(bad));
    EXPECT_FALSE(d.allowed) << bad;
    EXPECT_EQ(d.reason, Errc::kEmailNotVerified) << bad;
    EXPECT_EQ(d.rule, "access.require_email_verified");
  }
}

TEST(AccessRules, RequiredClaimsMatchStringsNumbersBoolsAndArrays) {
  AccessPolicy p;
  p.required_claims = {{"https://example.com/roles", {"admin", "editor"}}};
  EXPECT_TRUE(
      evaluateAccess(p, claims(R"({"https://example.com/roles":["viewer","editor"]})")).allowed);
  EXPECT_TRUE(evaluateAccess(p, claims(R"({"https://example.com/roles":"admin"})")).allowed);
  auto mismatch = evaluateAccess(p, claims(R"({"https://example.com/roles":["viewer"]})"));
  EXPECT_EQ(mismatch.reason, Errc::kRequiredClaimMismatch);
  EXPECT_EQ(mismatch.rule, "access.required_claims.https://example.com/roles");
  EXPECT_EQ(evaluateAccess(p, claims(R"({"https://example.com/roles":"Admin"})")).reason,
            Errc::kRequiredClaimMismatch);  // values are case-sensitive
  EXPECT_EQ(evaluateAccess(p, claims(R"({"https://example.com/roles":{"admin":true}})")).reason,
            Errc::kRequiredClaimMismatch);
  auto missing = evaluateAccess(p, claims(R"({"roles":["admin"]})"));
  EXPECT_EQ(missing.reason, Errc::kRequiredClaimMissing);
  EXPECT_EQ(evaluateAccess(p, claims(R"({"https://example.com/roles":null})")).reason,
            Errc::kRequiredClaimMissing);

  AccessPolicy typed;
  typed.required_claims = {{"tier", {"3"}}, {"beta", {"true"}}};
  EXPECT_TRUE(evaluateAccess(typed, claims(R"({"tier":3,"beta":true})")).allowed);
  EXPECT_TRUE(evaluateAccess(typed, claims(R"({"tier":[1,3],"beta":"true"})")).allowed);
  EXPECT_EQ(evaluateAccess(typed, claims(R"({"tier":4,"beta":true})")).reason,
            Errc::kRequiredClaimMismatch);
  EXPECT_EQ(evaluateAccess(typed, claims(R"({"tier":3,"beta":false})")).rule,
            "access.required_claims.beta");
}

TEST(AccessRules, AdminNeedsAVerifiedListedEmail) {
  AccessPolicy p;
  p.admin_emails = {"Root@Example.com"};
  EXPECT_TRUE(
      evaluateAccess(p, claims(R"({"email":"root@example.com","email_verified":true})")).is_admin);
  EXPECT_FALSE(
      evaluateAccess(p, claims(R"({"email":"root@example.com","email_verified":false})")).is_admin);
  EXPECT_FALSE(
      evaluateAccess(p, claims(R"({"email":"root@example.com.evil","email_verified":true})"))
          .is_admin);
  EXPECT_TRUE(evaluateAccess(p, claims(R"({"email":"root@example.com"})")).allowed);
}

TEST(ApiRules, ScopesAndPermissions) {
  AccessPolicy p;
  p.required_scopes = {"read:items"};
  p.required_permissions = {"write:items"};
  auto good = claims(R"({"scope":"openid read:items  profile","permissions":["write:items","x"]})");
  EXPECT_TRUE(evaluateApiAccess(p, good).allowed);
  EXPECT_EQ(grantedScopes(good), (std::vector<std::string>{"openid", "read:items", "profile"}));
  auto noScope =
      evaluateApiAccess(p, claims(R"({"scope":"read:itemsx","permissions":["write:items"]})"));
  EXPECT_EQ(noScope.reason, Errc::kMissingScope);
  EXPECT_EQ(noScope.rule, "api.required_scopes.read:items");
  EXPECT_EQ(
      evaluateApiAccess(p, claims(R"({"scope":"read:items","permissions":"write:items"})")).reason,
      Errc::kMissingPermission);
  EXPECT_EQ(evaluateApiAccess(p, claims(R"({"permissions":["write:items"]})")).reason,
            Errc::kMissingScope);
}

}  // namespace
}  // namespace authgate::oidc
