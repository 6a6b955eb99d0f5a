#include "authgate/oidc/userinfo.h"

#include <array>

#include "oidc/json_util.h"

namespace authgate::oidc {

Result<boost::json::object> parseUserinfo(std::string_view body, std::string_view idTokenSub) {
  auto o = detail::parseObject(body);
  if (!o) return Errc::kBadUserinfo;
  auto sub = detail::getString(*o, "sub");
  if (!sub || sub->empty()) return Errc::kBadUserinfo;
  // OIDC Core s5.3.2: "the sub Claim in the UserInfo Response MUST be verified to exactly
  // match the sub Claim in the ID Token; if they do not match, the UserInfo Response
  // values MUST NOT be used."
  if (*sub != idTokenSub) return Errc::kUserinfoSubjectMismatch;
  return std::move(*o);
}

boost::json::object mergeUserinfoClaims(const boost::json::object& idTokenClaims,
                                        const boost::json::object& userinfo) {
  static constexpr std::array<std::string_view, 13> kProtocol = {
      "iss",       "sub", "aud", "exp",     "iat",    "nbf",     "nonce",
      "auth_time", "azp", "sid", "at_hash", "org_id", "org_name"};
  boost::json::object out = idTokenClaims;
  for (const auto& [k, v] : userinfo) {
    bool protocol = false;
    for (auto p : kProtocol) {
      if (k == p) protocol = true;
    }
    if (!protocol) out[k] = v;
  }
  return out;
}

}  // namespace authgate::oidc
