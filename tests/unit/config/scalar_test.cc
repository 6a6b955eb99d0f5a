#include "config/scalar.h"

#include <gtest/gtest.h>

#include "config/environment.h"

namespace authgate::config {
namespace {

TEST(SplitList, AcceptsCommaSeparatedAndBracketedForms) {
  using V = std::vector<std::string>;
  EXPECT_EQ(splitList("a,b"), (V{"a", "b"}));
  EXPECT_EQ(splitList(" a , b "), (V{"a", "b"}));
  EXPECT_EQ(splitList("[a, b]"), (V{"a", "b"}));
  EXPECT_EQ(splitList("[\"all\"]"), (V{"all"}));
  EXPECT_EQ(splitList("['x', \"y\"]"), (V{"x", "y"}));
  EXPECT_EQ(splitList("[]"), V{});
  EXPECT_EQ(splitList(""), V{});
  EXPECT_EQ(splitList("a,,b,"), (V{"a", "b"}));
  EXPECT_EQ(splitList("[http://h:8585/jwks,https://t/.well-known/jwks.json]"),
            (V{"http://h:8585/jwks", "https://t/.well-known/jwks.json"}));
}

TEST(ParseBoolean, AcceptsShellAndYamlSpellings) {
  for (auto t : {"true", "TRUE", "yes", "on", "1"}) EXPECT_TRUE(*parseBoolean(t)) << t;
  for (auto f : {"false", "False", "no", "off", "0"}) EXPECT_FALSE(*parseBoolean(f)) << f;
  EXPECT_EQ(parseBoolean("maybe").error(), Errc::kBadBoolean);
  EXPECT_EQ(parseBoolean("").error(), Errc::kEmptyValue);
}

TEST(ParseInteger, RejectsTrailingTextAndOverflow) {
  EXPECT_EQ(*parseInteger("-1"), -1);
  EXPECT_EQ(parseInteger("12a").error(), Errc::kBadInteger);
  EXPECT_EQ(parseInteger("99999999999999999999").error(), Errc::kBadInteger);
  EXPECT_EQ(parseInteger("").error(), Errc::kEmptyValue);
}

}  // namespace
}  // namespace authgate::config
