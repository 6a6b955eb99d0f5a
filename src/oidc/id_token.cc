#include "authgate/oidc/id_token.h"

#include <openssl/evp.h>

#include <algorithm>

#include <boost/json.hpp>

#include "authgate/core/base64url.h"
#include "authgate/core/crypto.h"
#include "oidc/json_util.h"

namespace authgate::oidc {
namespace {

std::vector<jose::Alg> toAlgs(const std::vector<std::string>& names) {
  std::vector<jose::Alg> out;
  for (const auto& n : names) {
    if (auto a = jose::algFromName(n)) out.push_back(*a);
  }
  return out;
}

const boost::json::value* member(const boost::json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it == o.end() ? nullptr : &it->value();
}

bool sameMember(const boost::json::object& a, const boost::json::object& b, std::string_view k) {
  const auto* x = member(a, k);
  const auto* y = member(b, k);
  if (x == nullptr || y == nullptr) return x == y;
  return *x == *y;
}

}  // namespace

IdTokenExpectations loginIdTokenExpectations(const RelyingPartyOptions& rp,
                                             const LoginTransaction& txn) {
  IdTokenExpectations e = refreshIdTokenExpectations(rp);
  e.nonce = txn.nonce.reveal();
  e.max_id_token_age = rp.max_id_token_age;
  if (txn.max_age) e.max_age = std::chrono::seconds(*txn.max_age);
  return e;
}

IdTokenExpectations refreshIdTokenExpectations(const RelyingPartyOptions& rp) {
  IdTokenExpectations e;
  e.issuer = rp.issuer;
  e.client_id = rp.client_id;
  e.algs = toAlgs(rp.id_token_algs);
  e.shared_secret = rp.client_secret;
  e.clock_skew = rp.clock_skew;
  e.organization = rp.organization;
  return e;
}

Result<void> checkOrganization(const boost::json::object& claims, std::string_view organization) {
  if (organization.empty()) return {};
  // Auth0: "org_" prefixed values are organization ids, anything else a name.
  if (organization.substr(0, 4) == "org_") {
    auto orgId = detail::getString(claims, "org_id");
    if (!orgId) return Errc::kMissingOrgId;
    if (*orgId != organization) return Errc::kOrgMismatch;
    return {};
  }
  auto orgName = detail::getString(claims, "org_name");
  if (!orgName) return Errc::kMissingOrgId;
  if (!detail::iequals(*orgName, organization)) return Errc::kOrgMismatch;
  return {};
}

Result<void> checkIdTokenAge(const boost::json::object& claims, std::int64_t now,
                             std::chrono::seconds maxAge) {
  // The same NumericDate reading as jose's iat check (fractions floored).
  const auto* v = member(claims, "iat");
  if (v == nullptr) return Errc::kIdTokenTooOld;
  auto iat = jose::numericDate(*v);
  if (!iat) return Errc::kIdTokenTooOld;
  // iat is untrusted and may be any int64: subtract only from our own values.
  if (*iat < now - maxAge.count()) return Errc::kIdTokenTooOld;
  return {};
}

Result<std::string> computeAtHash(std::string_view algName, std::string_view accessToken) {
  const EVP_MD* md = nullptr;
  auto endsWith = [&](std::string_view suffix) {
    return algName.size() > suffix.size() &&
           algName.substr(algName.size() - suffix.size()) == suffix;
  };
  if (endsWith("256")) {
    md = EVP_sha256();
  } else if (endsWith("384")) {
    md = EVP_sha384();
  } else if (endsWith("512") || algName == "EdDSA") {
    // OIDC Core s3.1.3.6 hashes with the JWS alg's hash; Ed25519 signs with SHA-512.
    md = EVP_sha512();
  } else {
    return Errc::kUnsupportedAtHashAlg;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(accessToken.data(), accessToken.size(), digest, &len, md, nullptr) != 1) {
    return Errc::kUnsupportedAtHashAlg;
  }
  return core::base64urlEncode(std::string_view(reinterpret_cast<const char*>(digest), len / 2));
}

Result<void> checkAtHash(const boost::json::object& claims, std::string_view algName,
                         std::string_view accessToken) {
  if (!claims.contains("at_hash")) return {};
  auto presented = detail::getString(claims, "at_hash");
  if (!presented) return Errc::kAtHashMismatch;
  auto expected = computeAtHash(algName, accessToken);
  if (!expected) return expected.error();
  if (!core::constantTimeEqual(*presented, *expected)) return Errc::kAtHashMismatch;
  return {};
}

Result<void> checkSameSubject(const boost::json::object& original,
                              const boost::json::object& fresh) {
  auto a = detail::getString(original, "sub");
  auto b = detail::getString(fresh, "sub");
  if (!a || !b || *a != *b) return Errc::kSubjectChanged;
  return {};
}

Result<void> checkSameIssuer(const boost::json::object& original,
                             const boost::json::object& fresh) {
  auto a = detail::getString(original, "iss");
  auto b = detail::getString(fresh, "iss");
  if (!a || !b || *a != *b) return Errc::kIssuerChanged;
  return {};
}

Result<void> checkSameAudience(const boost::json::object& original,
                               const boost::json::object& fresh) {
  // s12.2: "its aud Claim Value MUST be the same". A string and a one-element array
  // holding it are the same audience (RFC 7519 s4.1.3).
  auto norm = [](const boost::json::object& o) {
    std::vector<std::string> out;
    const auto* v = member(o, "aud");
    if (v == nullptr) return out;
    if (v->is_string()) out.emplace_back(v->as_string());
    if (v->is_array()) {
      for (const auto& x : v->as_array()) {
        out.emplace_back(x.is_string() ? std::string(x.as_string()) : boost::json::serialize(x));
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto a = norm(original);
  if (a.empty() || a != norm(fresh)) return Errc::kAudienceChanged;
  return {};
}

Result<void> checkSameAuthorizedParty(const boost::json::object& original,
                                      const boost::json::object& fresh) {
  // s12.2: same azp; absent before means absent now.
  if (!sameMember(original, fresh, "azp")) return Errc::kAuthorizedPartyChanged;
  return {};
}

Result<ValidatedIdToken> validateIdToken(std::string_view idToken, const jose::KeyStore& keys,
                                         const IdTokenExpectations& expect,
                                         const core::Clock& clock,
                                         const core::Secret* accessToken) {
  auto policy = jose::VerifyPolicy::idToken(expect.issuer, expect.client_id);
  policy.allowedAlgs = expect.algs;
  policy.sharedSecret = expect.shared_secret;
  policy.leeway = expect.clock_skew;
  policy.nonce = expect.nonce;
  policy.maxAge = expect.max_age;
  auto verified = jose::verifyJwt(idToken, keys, policy, clock);
  if (!verified) return verified.error();
  if (expect.max_id_token_age) {
    auto age = checkIdTokenAge(verified->claims, clock.unixSeconds(), *expect.max_id_token_age);
    if (!age) return age.error();
  }
  ValidatedIdToken out;
  auto sub = detail::getString(verified->claims, "sub");
  // OIDC Core s2: sub is a case-sensitive string, never empty.
  if (!sub || sub->empty()) return Errc::kBadIdTokenClaims;
  if (auto r = checkOrganization(verified->claims, expect.organization); !r) return r.error();
  if (accessToken != nullptr) {
    auto r = checkAtHash(verified->claims, jose::algName(verified->alg), accessToken->reveal());
    if (!r) return r.error();
  }
  out.sub = std::move(*sub);
  out.sid = detail::getString(verified->claims, "sid");
  out.exp = detail::getInt(verified->claims, "exp").value_or(0);
  out.alg = verified->alg;
  out.claims = std::move(verified->claims);
  return out;
}

Result<ValidatedIdToken> validateRefreshedIdToken(std::string_view idToken,
                                                  const jose::KeyStore& keys,
                                                  const IdTokenExpectations& expect,
                                                  const boost::json::object& originalClaims,
                                                  const core::Clock& clock,
                                                  const core::Secret* accessToken) {
  auto v = validateIdToken(idToken, keys, expect, clock, accessToken);
  if (!v) return v.error();
  if (auto r = checkSameIssuer(originalClaims, v->claims); !r) return r.error();
  if (auto r = checkSameSubject(originalClaims, v->claims); !r) return r.error();
  if (auto r = checkSameAudience(originalClaims, v->claims); !r) return r.error();
  if (auto r = checkSameAuthorizedParty(originalClaims, v->claims); !r) return r.error();
  return v;
}

}  // namespace authgate::oidc
