#include "authgate/oidc/errc.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace authgate::oidc {
namespace {

TEST(OidcErrc, EveryCodeHasAUniqueSnakeCaseNameAndAMessage) {
  std::set<std::string> names;
  for (int v = 0; v <= static_cast<int>(Errc::kInvalidClient); ++v) {
    auto e = make_error_code(static_cast<Errc>(v));
    auto name = core::errorName(e);
    EXPECT_NE(name, "unknown") << v;
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_NE(e.message(), "unknown error") << v;
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789"), std::string::npos);
  }
  EXPECT_EQ(core::errorName(make_error_code(Errc::kStateMismatch)), "state_mismatch");
  EXPECT_STREQ(make_error_code(Errc::kStateMismatch).category().name(), "authgate.oidc");
}

}  // namespace
}  // namespace authgate::oidc
