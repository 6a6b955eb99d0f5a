#include "authgate/oidc/callback.h"

#include <gtest/gtest.h>

#include "authgate/core/clock.h"
#include "test_support.h"

namespace authgate::oidc {
namespace {

using testing::FixedRandom;

struct Fixture {
  core::ManualClock clock{1'700'000'000};
  FixedRandom random;
  RelyingPartyOptions rp;
  LoginTransaction txn;
  CallbackExpectations expect;
  Fixture() {
    rp.issuer = "https://tenant.auth0.com/";
    rp.client_id = "c";
    rp.redirect_uri = "https://app.example.com/auth/callback";
    txn = createLoginTransaction(rp, "/", "binding", clock, random);
    expect.issuer = rp.issuer;
  }
  AuthorizationCode code(std::optional<std::string> iss = std::nullopt) {
    AuthorizationCode c;
    c.code = core::Secret("abc");
    c.state = txn.state.reveal();
    c.iss = std::move(iss);
    return c;
  }
};

TEST(Callback, ParsesCodeStateAndIss) {
  auto r =
      parseCallback({{"code", "SplxlOBeZQQYbYS6WxSbIA"}, {"state", "xyz"}, {"iss", "https://i/"}});
  ASSERT_TRUE(r);
  const auto& c = std::get<AuthorizationCode>(*r);
  EXPECT_EQ(c.code.reveal(), "SplxlOBeZQQYbYS6WxSbIA");
  EXPECT_EQ(c.state, "xyz");
  EXPECT_EQ(c.iss, "https://i/");
}

TEST(Callback, ProviderErrorIsDataWithAStatus) {
  auto r = parseCallback({{"error", "access_denied"},
                          {"error_description", "<script>blocked</script>\nby rule"},
                          {"state", "xyz"}});
  ASSERT_TRUE(r);
  const auto& e = std::get<ProviderError>(*r);
  EXPECT_EQ(e.error, "access_denied");
  EXPECT_EQ(e.error_description, "<script>blocked</script> by rule");  // no control chars
  EXPECT_EQ(e.state, "xyz");
  EXPECT_EQ(e.http_status, 401);
  EXPECT_EQ(providerErrorStatus("unauthorized"), 401);
  EXPECT_EQ(providerErrorStatus("login_required"), 401);
  EXPECT_EQ(providerErrorStatus("invalid_request"), 400);
  EXPECT_EQ(providerErrorStatus("server_error"), 400);
  // error wins even if a code is present.
  auto both = parseCallback({{"error", "server_error"}, {"code", "x"}, {"state", "s"}});
  ASSERT_TRUE(both);
  EXPECT_TRUE(std::holds_alternative<ProviderError>(*both));
}

struct BadParams {
  const char* name;
  core::Params params;
  Errc code;
};

class CallbackRejects : public ::testing::TestWithParam<BadParams> {};

TEST_P(CallbackRejects, Params) {
  auto r = parseCallback(GetParam().params, 64);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(GetParam().code));
}

INSTANTIATE_TEST_SUITE_P(
    Table, CallbackRejects,
    ::testing::Values(
        BadParams{"missing_state", {{"code", "c"}}, Errc::kMissingState},
        BadParams{"empty_state", {{"code", "c"}, {"state", ""}}, Errc::kMissingState},
        BadParams{"missing_code", {{"state", "s"}}, Errc::kMissingCode},
        BadParams{"empty_code", {{"state", "s"}, {"code", ""}}, Errc::kMissingCode},
        BadParams{"code_too_large",
                  {{"state", "s"}, {"code", std::string(65, 'a')}},
                  Errc::kCodeTooLarge},
        BadParams{"code_with_space", {{"state", "s"}, {"code", "a b"}}, Errc::kBadCallbackParams},
        BadParams{"repeated_state",
                  {{"state", "s"}, {"code", "c"}, {"state", "t"}},
                  Errc::kBadCallbackParams},
        BadParams{"repeated_code",
                  {{"code", "c"}, {"state", "s"}, {"code", "d"}},
                  Errc::kBadCallbackParams}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(Callback, AcceptsMatchingStateFreshTransactionAndIss) {
  Fixture f;
  EXPECT_TRUE(checkCallback(f.code(), f.txn, f.expect, f.clock));
  EXPECT_TRUE(checkCallback(f.code("https://tenant.auth0.com/"), f.txn, f.expect, f.clock));
}

TEST(Callback, RejectsStateMismatch) {
  Fixture f;
  auto c = f.code();
  c.state = f.txn.state.reveal() + "x";
  EXPECT_EQ(checkCallback(c, f.txn, f.expect, f.clock).error(),
            make_error_code(Errc::kStateMismatch));
  c.state = "";
  EXPECT_EQ(checkState(c.state, f.txn).error(), make_error_code(Errc::kMissingState));
}

TEST(Callback, RejectsExpiredTransaction) {
  Fixture f;
  f.clock.advance(std::chrono::minutes(10));
  EXPECT_EQ(checkCallback(f.code(), f.txn, f.expect, f.clock).error(),
            make_error_code(Errc::kTransactionExpired));
}

TEST(Callback, RejectsWrongIssParam) {
  Fixture f;
  for (std::string iss : {"https://tenant.auth0.com", "https://evil.example/", ""}) {
    EXPECT_EQ(checkCallback(f.code(iss), f.txn, f.expect, f.clock).error(),
              make_error_code(Errc::kIssuerParamMismatch))
        << iss;
  }
}

TEST(Callback, RequiresIssWhenTheProviderAdvertisesIt) {
  Fixture f;
  ProviderMetadata m;
  m.issuer = f.rp.issuer;
  m.authorization_response_iss_parameter_supported = true;
  auto expect = callbackExpectations(m, f.rp);
  EXPECT_EQ(checkCallback(f.code(), f.txn, expect, f.clock).error(),
            make_error_code(Errc::kMissingIssuerParam));
  EXPECT_TRUE(checkCallback(f.code(f.rp.issuer), f.txn, expect, f.clock));
}

}  // namespace
}  // namespace authgate::oidc
