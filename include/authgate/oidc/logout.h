// Logout: the browser redirect to the provider (Auth0 /v2/logout or OIDC RP-Initiated
// Logout 1.0) and the rules for a Back-Channel Logout token (Back-Channel Logout 1.0
// s2.4, s2.6). jti replay protection needs a store: that is the caller's job, with the
// jti and expiry returned here.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "authgate/core/clock.h"
#include "authgate/core/secret.h"
#include "authgate/jose/jwk.h"
#include "authgate/oidc/discovery.h"
#include "authgate/oidc/errc.h"
#include "authgate/oidc/options.h"

namespace authgate::oidc {

struct LogoutRedirectParams {
  std::string post_logout_redirect_uri;         // absolute, validated, registered at the provider
  const core::Secret* id_token_hint = nullptr;  // the session's ID token: sent only without sid
  std::string sid;                              // the session's sid claim -> logout_hint
  std::string state;                            // optional, echoed back by the provider
  bool federated = false;                       // Auth0: also log out of the upstream IdP
};

// https://DOMAIN/v2/logout?client_id=..&returnTo=..[&federated], DOMAIN = the issuer's
// host (and port). Auth0 requires returnTo in the app's Allowed Logout URLs.
std::string buildAuth0LogoutUrl(std::string_view issuer, std::string_view clientId,
                                std::string_view returnTo, bool federated = false);

// end_session_endpoint ? post_logout_redirect_uri & client_id & logout_hint (the sid) &
// state (RP-Initiated Logout 1.0 s2); id_token_hint only when the session has no sid.
// kNoLogoutEndpoint without one.
Result<std::string> buildRpLogoutUrl(const ProviderMetadata& m, std::string_view clientId,
                                     const LogoutRedirectParams& p);

// The provider logout URL for `style`, or nullopt for LogoutStyle::kNone (local only).
Result<std::optional<std::string>> buildLogoutRedirect(LogoutStyle style, const ProviderMetadata& m,
                                                       std::string_view clientId,
                                                       const LogoutRedirectParams& p);

inline constexpr std::string_view kBackchannelLogoutEvent =
    "http://schemas.openid.net/event/backchannel-logout";

struct LogoutTokenRules {
  std::chrono::seconds max_age{300};  // how old iat may be (Auth0: exp = iat + 120)
  std::chrono::seconds clock_skew{60};
};

// What the caller needs: which sessions to end, and what to record against replay
// (jti until exp).
struct LogoutTokenFacts {
  std::optional<std::string> sub;
  std::optional<std::string> sid;
  std::string jti;
  std::int64_t iat = 0;
  std::int64_t exp = 0;  // exp claim, or iat + max_age when absent
};

// The Back-Channel Logout rules on an already signature-verified token's header and
// claims: typ JWT or logout+jwt (kBadLogoutTokenType), events with the back-channel
// member as an object (kMissingLogoutEvent), sid and/or sub (kMissingSubAndSid), no nonce
// (kLogoutTokenHasNonce), jti (kMissingJti), iat present (kMissingIat), not older than
// max_age (kLogoutTokenTooOld) nor from the future (kLogoutTokenFromFuture).
Result<LogoutTokenFacts> checkLogoutTokenClaims(const boost::json::object& header,
                                                const boost::json::object& claims,
                                                const LogoutTokenRules& rules,
                                                const core::Clock& clock);

// jose::verifyJwt with the logout-token policy (signature, alg allow-list, iss, aud =
// client_id, exp) and then checkLogoutTokenClaims. jose failures keep their codes.
Result<LogoutTokenFacts> validateLogoutToken(std::string_view logoutToken,
                                             const jose::KeyStore& keys,
                                             const RelyingPartyOptions& rp,
                                             const LogoutTokenRules& rules,
                                             const core::Clock& clock);

}  // namespace authgate::oidc
