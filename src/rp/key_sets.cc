#include "rp/key_sets.h"

#include "authgate/jose/errc.h"
#include "authgate/rp/provider_client.h"

namespace authgate::rp {

namespace {

bool isKeyMiss(const error_code& ec) {
  return ec == jose::Errc::kUnknownKid || ec == jose::Errc::kNoMatchingKey;
}

// The set could not be loaded (transport, status, unparsable set): not the token's fault.
bool isFetchFailure(const error_code& ec) {
  return ec == jose::Errc::kJwksFetchFailed ||
         ec.category() != make_error_code(jose::Errc::kUnknownKid).category();
}

}  // namespace

TrustedKeySets::TrustedKeySets(const std::vector<std::string>& urls, HttpClient& http,
                               const core::Clock& clock, jose::VerifyPolicy policy)
    : policy_(std::move(policy)) {
  policy_.trustKeySetIssuer = true;
  for (const auto& url : urls) {
    caches_.push_back(std::make_unique<jose::JwksCache>(url, jwksFetcher(http), clock));
  }
}

Result<jose::VerifiedJwt> TrustedKeySets::verify(std::string_view token,
                                                 std::string_view providerJwksUri,
                                                 std::string_view providerIssuer) {
  error_code reason;    // the first failure that is about the token itself
  error_code fetchErr;  // the first set that could not be loaded
  for (const auto& cache : caches_) {
    if (cache->url() == providerJwksUri) continue;
    auto r = cache->verify(token, policy_);
    if (r) {
      const auto* iss = r->claims.if_contains("iss");
      if (iss != nullptr && iss->is_string() && iss->get_string() == providerIssuer) {
        return jose::Errc::kIssuerMismatch;
      }
      return r;
    }
    if (isKeyMiss(r.error())) continue;
    if (isFetchFailure(r.error())) {
      if (!fetchErr) fetchErr = r.error();
      continue;
    }
    if (!reason) reason = r.error();
  }
  if (reason) return reason;
  if (fetchErr) return fetchErr;
  return jose::Errc::kUnknownKid;
}

}  // namespace authgate::rp
