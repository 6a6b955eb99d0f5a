#include "authgate/oidc/access.h"

#include <algorithm>
#include <boost/json.hpp>

#include "oidc/json_util.h"

namespace authgate::oidc {
namespace {

AccessDecision deny(Errc reason, std::string rule) {
  AccessDecision d;
  d.reason = reason;
  d.rule = std::move(rule);
  return d;
}

bool containsIgnoreCase(const std::vector<std::string>& list, std::string_view v) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& x) { return detail::iequals(x, v); });
}

std::string scalarText(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  if (v.is_double()) return boost::json::serialize(v);
  return {};
}

bool scalarMatches(const boost::json::value& v, const std::vector<std::string>& accepted) {
  if (!v.is_string() && !v.is_bool() && !v.is_number()) return false;
  auto text = scalarText(v);
  return std::find(accepted.begin(), accepted.end(), text) != accepted.end();
}

}  // namespace

std::string emailDomain(std::string_view email) {
  auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= email.size()) return {};
  return detail::asciiLower(email.substr(at + 1));
}

bool emailDomainAllowed(std::string_view email, const std::vector<std::string>& domains) {
  auto domain = emailDomain(email);
  if (domain.empty()) return false;
  for (std::string_view d : domains) {
    if (!d.empty() && d.front() == '@') d.remove_prefix(1);
    // Whole-domain equality only: no endsWith, no substring, no subdomains.
    if (!d.empty() && detail::iequals(d, domain)) return true;
  }
  return false;
}

bool claimMatches(const boost::json::value& claim, const std::vector<std::string>& accepted) {
  if (claim.is_array()) {
    const auto& arr = claim.as_array();
    return std::any_of(arr.begin(), arr.end(),
                       [&](const boost::json::value& v) { return scalarMatches(v, accepted); });
  }
  return scalarMatches(claim, accepted);
}

std::vector<std::string> grantedScopes(const boost::json::object& claims) {
  std::vector<std::string> out;
  auto scope = detail::getString(claims, "scope");
  if (!scope) return out;
  std::string_view s = *scope;
  while (!s.empty()) {
    auto sp = s.find(' ');
    auto item = s.substr(0, sp);
    if (!item.empty()) out.emplace_back(item);
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

std::vector<std::string> grantedPermissions(const boost::json::object& claims) {
  return detail::getStringArray(claims, "permissions");
}

AccessDecision evaluateAccess(const AccessPolicy& policy, const boost::json::object& claims) {
  auto email = detail::getString(claims, "email");
  // OIDC Core s5.1: email_verified is a boolean. A string "true" is not accepted.
  bool verified = detail::getTrue(claims, "email_verified");
  if (policy.require_email_verified && !verified) {
    return deny(Errc::kEmailNotVerified, "access.require_email_verified");
  }
  bool domains = !policy.allowed_email_domains.empty();
  bool emails = !policy.allowed_emails.empty();
  if (domains || emails) {
    if (!email || email->empty()) {
      return deny(Errc::kEmailMissing,
                  domains ? "access.allowed_email_domains" : "access.allowed_emails");
    }
    bool ok = (emails && containsIgnoreCase(policy.allowed_emails, *email)) ||
              (domains && emailDomainAllowed(*email, policy.allowed_email_domains));
    if (!ok) {
      if (domains && !emails)
        return deny(Errc::kEmailDomainNotAllowed, "access.allowed_email_domains");
      return deny(Errc::kEmailNotAllowed,
                  domains ? "access.allowed_emails_or_domains" : "access.allowed_emails");
    }
  }
  for (const auto& [name, accepted] : policy.required_claims) {
    auto it = claims.find(name);
    if (it == claims.end() || it->value().is_null()) {
      return deny(Errc::kRequiredClaimMissing, "access.required_claims." + name);
    }
    if (!claimMatches(it->value(), accepted)) {
      return deny(Errc::kRequiredClaimMismatch, "access.required_claims." + name);
    }
  }
  AccessDecision d;
  d.allowed = true;
  // Admin rights hang on the email, so only a verified email can carry them.
  d.is_admin = email && verified && containsIgnoreCase(policy.admin_emails, *email);
  return d;
}

AccessDecision evaluateApiAccess(const AccessPolicy& policy,
                                 const boost::json::object& accessTokenClaims) {
  auto scopes = grantedScopes(accessTokenClaims);
  for (const auto& s : policy.required_scopes) {
    if (std::find(scopes.begin(), scopes.end(), s) == scopes.end()) {
      return deny(Errc::kMissingScope, "api.required_scopes." + s);
    }
  }
  auto perms = grantedPermissions(accessTokenClaims);
  for (const auto& p : policy.required_permissions) {
    if (std::find(perms.begin(), perms.end(), p) == perms.end()) {
      return deny(Errc::kMissingPermission, "api.required_permissions." + p);
    }
  }
  AccessDecision d;
  d.allowed = true;
  return d;
}

}  // namespace authgate::oidc
