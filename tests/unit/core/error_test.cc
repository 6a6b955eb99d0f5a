#include "authgate/core/errc.h"

#include <gtest/gtest.h>

namespace authgate::core {
namespace {

Result<int> failing() { return Errc::kTooLarge; }

TEST(Error, ResultCarriesNamedCode) {
  auto r = failing();
  ASSERT_FALSE(r);
  EXPECT_EQ(errorName(r.error()), "too_large");
  EXPECT_EQ(r.error().message(), "value exceeds the size limit");
  EXPECT_EQ(errorName(error_code{}), "ok");
}

}  // namespace
}  // namespace authgate::core
