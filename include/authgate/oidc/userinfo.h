// Step 5 (optional): the UserInfo response (OIDC Core s5.3).
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "authgate/oidc/errc.h"

namespace authgate::oidc {

// Parses a JSON UserInfo response (s5.3.2) and checks its sub equals the ID token's sub
// exactly (token substitution defence). kBadUserinfo when not a JSON object with a
// string sub; kUserinfoSubjectMismatch when it differs. Signed/encrypted UserInfo
// (application/jwt) is not supported: the caller requests JSON.
Result<boost::json::object> parseUserinfo(std::string_view body, std::string_view idTokenSub);

// Merges userinfo claims into ID-token claims for the access rules: the ID token's
// protocol claims (iss, sub, aud, exp, iat, nonce, auth_time, azp, sid, at_hash, org_id)
// are never overridden; profile claims from userinfo win (they are fresher).
boost::json::object mergeUserinfoClaims(const boost::json::object& idTokenClaims,
                                        const boost::json::object& userinfo);

}  // namespace authgate::oidc
