// Step 4: ID token validation (OIDC Core s3.1.3.7) on top of jose::verifyJwt, plus the
// rules jose does not know about: Auth0 Organizations (org_id / org_name), at_hash
// (s3.1.3.6, s3.2.2.9) and the refresh rules of s12.2. Failures from the JOSE layer keep
// their jose::Errc codes (bad_signature, nonce_mismatch, auth_too_old, ...).
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/secret.h"
#include "authgate/jose/jwk.h"
#include "authgate/jose/jwt.h"
#include "authgate/oidc/authorize.h"
#include "authgate/oidc/errc.h"
#include "authgate/oidc/options.h"

namespace authgate::oidc {

struct IdTokenExpectations {
  std::string issuer;
  std::string client_id;
  std::vector<jose::Alg> algs{jose::Alg::kRS256};
  core::Secret shared_secret;  // the client secret, for HS256 ID tokens (Auth0 option)
  std::chrono::seconds clock_skew{60};
  std::optional<std::string> nonce;             // the transaction's nonce at login
  std::optional<std::chrono::seconds> max_age;  // the max_age that was sent
  // At the callback: how old iat may be (checkIdTokenAge); nullopt for a refresh.
  std::optional<std::chrono::seconds> max_id_token_age;
  std::string organization;  // "" or org_... id or organization name
};

// Expectations for the ID token of a code exchange: nonce and max_age from the
// transaction, max_id_token_age from the options. Algorithm names that jose does not know are
// dropped.
IdTokenExpectations loginIdTokenExpectations(const RelyingPartyOptions& rp,
                                             const LoginTransaction& txn);
// For a refreshed ID token: no nonce or max_age (they belong to the original login).
IdTokenExpectations refreshIdTokenExpectations(const RelyingPartyOptions& rp);

struct ValidatedIdToken {
  boost::json::object claims;
  std::string sub;
  std::optional<std::string> sid;
  std::int64_t exp = 0;
  jose::Alg alg = jose::Alg::kRS256;
};

// jose checks (signature via `keys`, alg allow-list, iss, aud, azp, exp, iat, nonce,
// auth_time vs max_age), then the token's age (checkIdTokenAge, when max_id_token_age is
// set), sub (kBadIdTokenClaims), organization, and at_hash when an access token is given.
Result<ValidatedIdToken> validateIdToken(std::string_view idToken, const jose::KeyStore& keys,
                                         const IdTokenExpectations& expect,
                                         const core::Clock& clock,
                                         const core::Secret* accessToken = nullptr);

// validateIdToken for a token from a refresh, then OIDC Core s12.2: iss, sub, aud and azp
// equal the original ID token's (kIssuerChanged, kSubjectChanged, kAudienceChanged,
// kAuthorizedPartyChanged).
Result<ValidatedIdToken> validateRefreshedIdToken(std::string_view idToken,
                                                  const jose::KeyStore& keys,
                                                  const IdTokenExpectations& expect,
                                                  const boost::json::object& originalClaims,
                                                  const core::Clock& clock,
                                                  const core::Secret* accessToken = nullptr);

// --- Standalone rules on claims. ---

// OIDC Core s3.1.3.7 item 10: at the callback the provider has just minted the ID token,
// so only clock skew and network time separate its iat from now. An iat more than
// maxAge before now is kIdTokenTooOld, even when exp is still ahead (a hoarded or
// replayed token). iat is read as jose reads it (jose::numericDate); a missing or
// non-numeric iat is kIdTokenTooOld too (jose requires iat for ID tokens first).
Result<void> checkIdTokenAge(const boost::json::object& claims, std::int64_t now,
                             std::chrono::seconds maxAge);

// Auth0 Organizations: with an org_... id configured, org_id must equal it exactly; with
// an organization name configured, org_name must equal it ASCII case-insensitively
// (Auth0 stores names lower-case). Nothing configured: passes.
Result<void> checkOrganization(const boost::json::object& claims, std::string_view organization);

// base64url(left half of HASH(ASCII(access_token))) with HASH from the alg's size:
// SHA-256 for *256, SHA-384 for *384, SHA-512 for *512 and EdDSA (Ed25519).
Result<std::string> computeAtHash(std::string_view algName, std::string_view accessToken);
// When at_hash is present it must match (kAtHashMismatch); absent passes (s3.1.3.8:
// OPTIONAL for the code flow).
Result<void> checkAtHash(const boost::json::object& claims, std::string_view algName,
                         std::string_view accessToken);

Result<void> checkSameSubject(const boost::json::object& original,
                              const boost::json::object& fresh);
Result<void> checkSameIssuer(const boost::json::object& original, const boost::json::object& fresh);
Result<void> checkSameAudience(const boost::json::object& original,
                               const boost::json::object& fresh);
Result<void> checkSameAuthorizedParty(const boost::json::object& original,
                                      const boost::json::object& fresh);

}  // namespace authgate::oidc
