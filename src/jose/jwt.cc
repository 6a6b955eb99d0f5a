#include "authgate/jose/jwt.h"

#include <cctype>
#include <cmath>
#include <limits>

#include "authgate/core/crypto.h"
#include "authgate/jose/errc.h"
#include "authgate/jose/json.h"

namespace authgate::jose {
namespace {

namespace bj = boost::json;

std::string normalizeTyp(std::string_view t) {
  std::string out(t);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  constexpr std::string_view kPrefix = "application/";
  if (out.rfind(kPrefix, 0) == 0) out.erase(0, kPrefix.size());
  return out;
}

const bj::value* member(const bj::object& o, std::string_view name) {
  auto it = o.find(name);
  return it == o.end() ? nullptr : &it->value();
}

// Records each check. In fail-fast mode (no report) a failure stops the pipeline; in
// report mode every check that can still run does.
class Pipeline {
 public:
  explicit Pipeline(VerifyReport* report) : report_(report) {}

  bool step(std::string_view name, error_code ec) {
    if (ec && !first_) first_ = ec;
    if (report_ != nullptr) {
      report_->checks.push_back(
          {std::string(name), ec ? CheckStatus::kFailed : CheckStatus::kPassed, ec});
      return true;
    }
    return !ec;
  }
  void skip(std::string_view name) {
    if (report_ != nullptr)
      report_->checks.push_back({std::string(name), CheckStatus::kSkipped, {}});
  }
  error_code first() const { return first_; }
  bool reporting() const { return report_ != nullptr; }

 private:
  VerifyReport* report_;
  error_code first_;
};

constexpr std::string_view kClaimChecks[] = {
    "iss", "aud", "azp", "exp", "nbf", "iat", "nonce", "auth_time", "required_claims"};

Result<VerifiedJwt> runPipeline(std::string_view token, const KeyStore& keys,
                                const VerifyPolicy& policy, const core::Clock& clock,
                                VerifyReport* report) {
  Pipeline p(report);
  auto skipFrom = [&](size_t i, std::initializer_list<std::string_view> headerChecks) {
    for (auto n : headerChecks) p.skip(n);
    for (; i < std::size(kClaimChecks); ++i) p.skip(kClaimChecks[i]);
  };

  auto jws = parseCompactJws(token, policy.limits);
  p.step("structure", jws ? error_code{} : jws.error());
  if (!jws) {
    skipFrom(0, {"alg", "crit", "signature", "typ", "claims"});
    return p.first();
  }
  if (report != nullptr) report->header = jws->header;

  auto alg = checkAlg(*jws, policy.allowedAlgs);
  if (!p.step("alg", alg ? error_code{} : alg.error())) return p.first();
  if (!p.step("crit", checkCrit(jws->header, policy.understoodCrit))) return p.first();
  VerifiedJwt out;
  if (alg) {
    error_code sig;
    if (isHmacAlg(*alg)) {
      // HS*: only the configured shared secret, never bytes of any JWK (RFC 8725 s2.1).
      sig = policy.sharedSecret.empty() ? make_error_code(Errc::kNoSharedSecret)
                                        : verifyHmac(*jws, *alg, policy.sharedSecret.reveal());
    } else {
      sig = verifyWithKeyStore(*jws, *alg, keys, &out.kid);
    }
    if (!p.step("signature", sig)) return p.first();
    if (report != nullptr) report->signatureVerified = !sig;
    out.alg = *alg;
  } else {
    p.skip("signature");
  }
  // The type is judged only on a header whose signature held: an unsigned header's
  // claims about itself are not worth a reason (and a forged token must read as
  // bad_signature, whatever its typ says).
  if (!p.step("typ", checkType(jws->header, policy.allowedTypes, policy.typRequired))) {
    return p.first();
  }

  // Claims are only parsed after the signature held (fail-fast mode), so unsigned
  // bytes never reach the JSON parser on the request path.
  Result<bj::object> claims =
      parseStrictJsonObject(jws->payload, JsonLimits{policy.limits.maxPayloadBytes, 16});
  p.step("claims", claims ? error_code{} : claims.error());
  if (!claims) {
    skipFrom(0, {});
    return p.first();
  }
  if (report != nullptr) report->claims = *claims;

  const bj::object& c = *claims;
  const int64_t now = clock.unixSeconds();
  const int64_t leeway = policy.leeway.count();
  if (policy.trustKeySetIssuer) {
    const bj::value* iss = member(c, "iss");
    const bool hasIssuer = iss != nullptr && iss->is_string() && !iss->get_string().empty();
    if (!p.step("iss", hasIssuer ? error_code{} : make_error_code(Errc::kIssuerMismatch))) {
      return p.first();
    }
    p.skip("aud");
  } else {
    if (!p.step("iss", checkIssuer(c, policy.issuer))) return p.first();
    if (!p.step("aud", checkAudience(c, policy.audiences))) return p.first();
  }
  if (policy.clientId.empty()) {
    p.skip("azp");
  } else if (!p.step("azp", checkAuthorizedParty(c, policy.clientId))) {
    return p.first();
  }
  if (!p.step("exp", checkExpiry(c, now, leeway, policy.requireExp))) return p.first();
  if (!p.step("nbf", checkNotBefore(c, now, leeway))) return p.first();
  if (!p.step("iat", checkIssuedAt(c, now, leeway))) return p.first();
  if (!policy.nonce) {
    p.skip("nonce");
  } else if (!p.step("nonce", checkNonce(c, policy.nonce))) {
    return p.first();
  }
  if (!policy.maxAge) {
    p.skip("auth_time");
  } else if (!p.step("auth_time", checkAuthTime(c, now, leeway, policy.maxAge))) {
    return p.first();
  }
  if (!p.step("required_claims", checkRequiredClaims(c, policy.requiredClaims))) {
    return p.first();
  }
  if (p.first()) return p.first();
  out.header = std::move(jws->header);
  out.claims = std::move(*claims);
  return out;
}

}  // namespace

VerifyPolicy VerifyPolicy::idToken(std::string issuer, std::string clientId) {
  VerifyPolicy p;
  p.issuer = std::move(issuer);
  p.audiences = {clientId};
  p.clientId = std::move(clientId);
  p.requiredClaims = {"sub", "iat"};
  return p;
}

VerifyPolicy VerifyPolicy::accessToken(std::string issuer, std::string audience) {
  VerifyPolicy p;
  p.issuer = std::move(issuer);
  p.audiences = {std::move(audience)};
  p.allowedTypes = {"at+jwt"};  // RFC 9068 s2.1 / s4
  p.typRequired = true;
  p.requiredClaims = {"sub", "client_id", "iat", "jti"};
  return p;
}

VerifyPolicy VerifyPolicy::logoutToken(std::string issuer, std::string clientId) {
  VerifyPolicy p;
  p.issuer = std::move(issuer);
  p.audiences = {clientId};
  p.clientId = std::move(clientId);
  p.allowedTypes = {"logout+jwt", "JWT"};  // Back-Channel Logout s2.4; Auth0 sends "JWT"
  p.requiredClaims = {"iat", "jti", "events"};
  return p;
}

std::optional<std::string> VerifiedJwt::stringClaim(std::string_view name) const {
  const bj::value* v = member(claims, name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<int64_t> VerifiedJwt::numericClaim(std::string_view name) const {
  const bj::value* v = member(claims, name);
  if (v == nullptr) return std::nullopt;
  auto d = numericDate(*v);
  if (!d) return std::nullopt;
  return *d;
}

Result<int64_t> numericDate(const bj::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Errc::kBadClaimType;
    }
    return static_cast<int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    double d = v.get_double();
    // RFC 7519 s2 allows non-integer values; whole seconds are enough here.
    if (!std::isfinite(d) || d < -9.0e15 || d > 9.0e15) return Errc::kBadClaimType;
    return static_cast<int64_t>(std::floor(d));
  }
  return Errc::kBadClaimType;
}

error_code checkIssuer(const bj::object& claims, std::string_view expected) {
  const bj::value* iss = member(claims, "iss");
  if (iss == nullptr || !iss->is_string() || expected.empty()) return Errc::kIssuerMismatch;
  // Exact comparison, no normalization: "https://x/" and "https://x" differ
  // (OIDC Core s3.1.3.7 item 2).
  if (iss->get_string() != expected) return Errc::kIssuerMismatch;
  return {};
}

error_code checkAudience(const bj::object& claims, const std::vector<std::string>& accepted) {
  const bj::value* aud = member(claims, "aud");
  if (aud == nullptr || accepted.empty()) return Errc::kAudienceMismatch;
  auto ok = [&](bj::string_view s) {
    for (const auto& a : accepted) {
      // An empty configured audience (e.g. an unset client id) never matches.
      if (!a.empty() && s == a) return true;
    }
    return false;
  };
  // RFC 7519 s4.1.3: a single string or an array of strings.
  if (aud->is_string())
    return ok(aud->get_string()) ? error_code{} : make_error_code(Errc::kAudienceMismatch);
  if (!aud->is_array()) return Errc::kBadClaimType;
  bool found = false;
  for (const auto& v : aud->get_array()) {
    if (!v.is_string()) return Errc::kBadClaimType;
    if (ok(v.get_string())) found = true;
  }
  return found ? error_code{} : make_error_code(Errc::kAudienceMismatch);
}

error_code checkAuthorizedParty(const bj::object& claims, std::string_view clientId) {
  const bj::value* azp = member(claims, "azp");
  if (azp != nullptr) {
    if (!azp->is_string() || clientId.empty() || azp->get_string() != clientId) {
      return Errc::kAzpMismatch;
    }
    return {};
  }
  // OIDC Core s3.1.3.7 item 4 (and the 2023 errata): several audiences need an azp
  // naming the client the token was issued to.
  const bj::value* aud = member(claims, "aud");
  if (aud != nullptr && aud->is_array() && aud->get_array().size() > 1) return Errc::kAzpMissing;
  return {};
}

error_code checkExpiry(const bj::object& claims, int64_t now, int64_t leeway, bool required) {
  const bj::value* exp = member(claims, "exp");
  if (exp == nullptr) return required ? make_error_code(Errc::kMissingExp) : error_code{};
  auto t = numericDate(*exp);
  if (!t) return t.error();
  // RFC 7519 s4.1.4: the current time must be before exp (plus leeway).
  if (now >= *t + leeway) return Errc::kExpired;
  return {};
}

error_code checkNotBefore(const bj::object& claims, int64_t now, int64_t leeway) {
  const bj::value* nbf = member(claims, "nbf");
  if (nbf == nullptr) return {};
  auto t = numericDate(*nbf);
  if (!t) return t.error();
  if (now + leeway < *t) return Errc::kNotYetValid;  // RFC 7519 s4.1.5
  return {};
}

error_code checkIssuedAt(const bj::object& claims, int64_t now, int64_t leeway) {
  const bj::value* iat = member(claims, "iat");
  if (iat == nullptr) return {};
  auto t = numericDate(*iat);
  if (!t) return t.error();
  // A token issued in the future means a broken or hostile clock at the issuer.
  if (*t > now + leeway) return Errc::kIatInFuture;
  return {};
}

error_code checkType(const bj::object& header, const std::vector<std::string>& allowed,
                     bool required) {
  const bj::value* typ = member(header, "typ");
  if (typ == nullptr) return required ? make_error_code(Errc::kTypMismatch) : error_code{};
  if (!typ->is_string()) return Errc::kTypMismatch;
  if (allowed.empty()) return {};
  std::string got = normalizeTyp(std::string_view(typ->get_string()));
  for (const auto& a : allowed) {
    if (normalizeTyp(a) == got) return {};
  }
  return Errc::kTypMismatch;
}

error_code checkNonce(const bj::object& claims, const std::optional<std::string>& expected) {
  if (!expected) return {};
  const bj::value* nonce = member(claims, "nonce");
  if (nonce == nullptr) return Errc::kMissingNonce;
  if (!nonce->is_string()) return Errc::kNonceMismatch;
  const auto& s = nonce->get_string();
  if (!core::constantTimeEqual(std::string_view(s.data(), s.size()), *expected)) {
    return Errc::kNonceMismatch;
  }
  return {};
}

error_code checkAuthTime(const bj::object& claims, int64_t now, int64_t leeway,
                         const std::optional<std::chrono::seconds>& maxAge) {
  if (!maxAge) return {};
  const bj::value* at = member(claims, "auth_time");
  if (at == nullptr) return Errc::kMissingAuthTime;  // OIDC Core s3.1.2.1 max_age
  auto t = numericDate(*at);
  if (!t) return t.error();
  if (now - leeway > *t + maxAge->count()) return Errc::kAuthTooOld;
  return {};
}

error_code checkRequiredClaims(const bj::object& claims, const std::vector<std::string>& required) {
  for (const auto& name : required) {
    if (member(claims, name) == nullptr) return Errc::kMissingClaim;
  }
  return {};
}

Result<VerifiedJwt> verifyJwt(std::string_view token, const KeyStore& keys,
                              const VerifyPolicy& policy, const core::Clock& clock) {
  return runPipeline(token, keys, policy, clock, nullptr);
}

VerifyReport verifyJwtReport(std::string_view token, const KeyStore& keys,
                             const VerifyPolicy& policy, const core::Clock& clock) {
  VerifyReport report;
  auto r = runPipeline(token, keys, policy, clock, &report);
  report.firstError = r ? error_code{} : r.error();
  return report;
}

Result<std::string> verifyJwsSignature(std::string_view token, const KeyStore& keys,
                                       const std::vector<Alg>& allowed,
                                       const core::Secret& sharedSecret) {
  auto jws = parseCompactJws(token);
  if (!jws) return jws.error();
  auto alg = checkAlg(*jws, allowed);
  if (!alg) return alg.error();
  if (auto ec = checkCrit(jws->header, {})) return ec;
  error_code sig = isHmacAlg(*alg) ? verifyHmac(*jws, *alg, sharedSecret.reveal())
                                   : verifyWithKeyStore(*jws, *alg, keys);
  if (sig) return sig;
  return decodePayload(*jws);
}

std::string_view checkStatusName(CheckStatus s) {
  switch (s) {
    case CheckStatus::kPassed:
      return "passed";
    case CheckStatus::kFailed:
      return "failed";
    case CheckStatus::kSkipped:
      return "skipped";
  }
  return "unknown";
}

}  // namespace authgate::jose
