// What stays in the gateway of the refresh code: the request-origin check (the
// refresher is tested in tests/unit/rp, the refresh rules in tests/unit/oidc).
#include "gateway/refresh.h"

#include <gtest/gtest.h>

namespace authgate::gateway {
namespace {

TEST(IsOwnOriginRequest, TrustsOnlySameOriginOrUserInitiated) {
  struct Case {
    const char* site;  // nullptr: header absent
    bool expected;
  };
  const Case cases[] = {{"same-origin", true}, {"none", true},         {"same-site", false},
                        {"cross-site", false}, {"SAME-ORIGIN", false}, {nullptr, false}};
  for (const auto& c : cases) {
    net::Request req{net::http::verb::get, "/api/v1/auth/logout", 11};
    if (c.site) req.set("Sec-Fetch-Site", c.site);
    EXPECT_EQ(isOwnOriginRequest(req), c.expected) << (c.site ? c.site : "(absent)");
  }
}

}  // namespace
}  // namespace authgate::gateway
