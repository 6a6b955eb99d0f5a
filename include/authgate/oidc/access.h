// Access rules (access.* settings) as a pure evaluation over identity claims. The
// decision names the failing rule (for the 403 page, audit and metrics) and never
// echoes a claim value.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/oidc/errc.h"

namespace authgate::oidc {

struct AccessPolicy {
  // Allowed when the email's domain (after the last '@') equals one of these exactly,
  // ASCII case-insensitive. No suffix matching: "evil-example.com" and
  // "example.com.evil.io" are not "example.com". A leading '@' in an entry is ignored.
  std::vector<std::string> allowed_email_domains;
  std::vector<std::string> allowed_emails;  // case-insensitive; OR'ed with the domains
  bool require_email_verified = false;      // email_verified must be the JSON boolean true
  std::vector<std::string> admin_emails;    // admin only with a verified email
  // claim name (taken literally: Auth0 namespaced claims contain '.' and '/') -> accepted
  // values; the claim matches when it (or, for an array, any member) equals one value.
  std::map<std::string, std::vector<std::string>> required_claims;
  // API rules over an access token's `scope` (space separated, RFC 8693 s4.2) and Auth0
  // RBAC `permissions` (array). All listed must be granted.
  std::vector<std::string> required_scopes;
  std::vector<std::string> required_permissions;
};

struct AccessDecision {
  bool allowed = false;
  Errc reason = Errc::kOk;  // kOk when allowed
  std::string rule;         // e.g. "access.allowed_email_domains", "access.required_claims.<name>"
  bool is_admin = false;

  explicit operator bool() const { return allowed; }
};

// Identity rules (evaluated at login and when claims change on refresh), in this order:
// email_verified, allowed emails/domains, required claims; then admin status.
AccessDecision evaluateAccess(const AccessPolicy& policy, const boost::json::object& claims);

// API rules on access-token claims: required scopes, then required permissions.
AccessDecision evaluateApiAccess(const AccessPolicy& policy,
                                 const boost::json::object& accessTokenClaims);

// The email's domain, lower-cased; "" when the value has no '@' or an empty side.
std::string emailDomain(std::string_view email);
bool emailDomainAllowed(std::string_view email, const std::vector<std::string>& domains);
std::vector<std::string> grantedScopes(const boost::json::object& claims);
std::vector<std::string> grantedPermissions(const boost::json::object& claims);
// Does the claim value (string, number, bool or array of those) equal one of `accepted`?
bool claimMatches(const boost::json::value& claim, const std::vector<std::string>& accepted);

}  // namespace authgate::oidc
