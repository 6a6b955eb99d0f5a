// Bearer tokens signed by key sets the operator lists in provider.jwks_urls
// (OpenMetadata's AUTHENTICATION_PUBLIC_KEYS: its own /api/v1/system/config/jwks, whose
// keys sign its bot and ingestion JWTs). Each URL is its own JWKS cache with the
// provider's rules (Cache-Control bounded to 5 min..24 h, one refetch per 30 s for an
// unknown kid, the last good set kept when a refresh fails).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/error.h"
#include "authgate/jose/jwks_cache.h"
#include "authgate/jose/jwt.h"
#include "authgate/rp/http_client.h"

namespace authgate::rp {

class TrustedKeySets {
 public:
  // `policy`: the algorithms (asymmetric only), leeway and limits; trustKeySetIssuer is
  // set here: such a token must carry an iss, and its aud is not compared.
  TrustedKeySets(const std::vector<std::string>& urls, HttpClient& http, const core::Clock& clock,
                 jose::VerifyPolicy policy);

  // Verifies `token` with each set but `providerJwksUri` (the provider's own keys are
  // judged only by the strict access-token rules). A token whose iss is
  // `providerIssuer` is refused here for the same reason. kUnknownKid when no set has
  // its key; a set's own failure (bad_signature, expired, ...) otherwise; a fetch error
  // when no set could be loaded (the caller answers 503, not 401).
  Result<jose::VerifiedJwt> verify(std::string_view token, std::string_view providerJwksUri,
                                   std::string_view providerIssuer);

  std::size_t size() const { return caches_.size(); }

 private:
  jose::VerifyPolicy policy_;
  std::vector<std::unique_ptr<jose::JwksCache>> caches_;
};

}  // namespace authgate::rp
