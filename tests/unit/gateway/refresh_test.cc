// What stays in the gateway of the refresh code: the request-origin check and the
// Refresher's status names (the refresh rules are tested in tests/unit/oidc).
#include "gateway/refresh.h"

#include <gtest/gtest.h>

#include <set>

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

TEST(RefreshStatusName, IsStableAndDistinct) {
  std::set<std::string_view> names;
  for (auto s : {RefreshStatus::kNotNeeded, RefreshStatus::kRefreshed, RefreshStatus::kDeferred,
                 RefreshStatus::kUnavailable, RefreshStatus::kEnded,
                 RefreshStatus::kStoreUnavailable, RefreshStatus::kNoRefreshToken}) {
    names.insert(refreshStatusName(s));
  }
  EXPECT_EQ(names.size(), 7u);
  EXPECT_EQ(refreshStatusName(RefreshStatus::kEnded), "ended");
}

}  // namespace
}  // namespace authgate::gateway
