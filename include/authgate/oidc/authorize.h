// Step 1 of the Authorization Code Flow (OIDC Core s3.1.2): the login transaction
// (state, nonce, PKCE verifier bound to one browser) and the authorization request URL.
//
// Transaction storage scheme (see docs/PROTOCOL.md): the browser holds ONE cookie with a
// random browser-binding id; the server keeps one record per login attempt under
// transactionStoreKey(state) with a 10-minute TTL and takes it out atomically (get and
// delete) on the callback. Many tabs = many records, still one small cookie.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/codec.h"
#include "authgate/core/random.h"
#include "authgate/core/secret.h"
#include "authgate/oidc/errc.h"
#include "authgate/oidc/options.h"

namespace authgate::oidc {

struct LoginTransaction {
  core::Secret state;                   // 256-bit, base64url (RFC 6749 s10.12, RFC 9700 s4.7)
  core::Secret nonce;                   // 256-bit, base64url (OIDC Core s3.1.2.1, s15.5.2)
  core::Secret code_verifier;           // 43 chars from 32 random bytes (RFC 7636 s4.1)
  std::string return_to;                // already validated by validateReturnTo()
  std::string redirect_uri;             // must be repeated at the token endpoint (RFC 6749 s4.1.3)
  std::string browser_binding_hash;     // sha256 hex of the browser-binding cookie value
  std::int64_t created_at = 0;          // unix seconds
  std::optional<std::int64_t> max_age;  // what was sent; auth_time is checked against it
  ResponseMode response_mode = ResponseMode::kQuery;
};

// Per-request additions to the configured authorize parameters (e.g. from the login
// URL): empty fields are not sent; a set field overrides the configured one.
struct AuthorizeHints {
  std::string login_hint;
  std::string screen_hint;  // Auth0: "signup"
  std::string ui_locales;
  std::string prompt;
  std::string connection;
};

struct AuthorizationRequest {
  std::string url;  // 302 Location
  // Configured extra params that were not sent because they would override a protocol
  // parameter, e.g. "state". Names only.
  std::vector<std::string> ignored_params;
};

// Parameters authgate itself owns; extra_authorize_params may not set them.
bool isReservedAuthorizeParam(std::string_view name);

// Checks options once at start-up: issuer, client_id, redirect_uri (absolute http(s), no
// fragment: RFC 6749 s3.1.2), "openid" in scopes, max_age >= 0, and no reserved name in
// extra_authorize_params (kReservedExtraParam).
Result<void> validateRelyingPartyOptions(const RelyingPartyOptions& rp);

// The browser-binding cookie. On https it is "__Host-authgate_txn" (Secure, Path=/, no
// Domain: RFC 6265bis s4.1.3.2), else "authgate_txn". HttpOnly always. SameSite=None only
// for form_post on https (the provider's cross-site POST must carry it), else Lax.
// Max-Age = ttl, renewed by every login so all open tabs stay covered; the callback does
// not delete it (another tab may still need it).
inline constexpr std::string_view kTransactionCookieName = "authgate_txn";
std::string transactionCookieName(bool https);
core::SetCookie transactionCookie(std::string_view bindingValue, ResponseMode mode, bool https,
                                  std::chrono::seconds ttl = std::chrono::seconds(600));

// A new random browser-binding id for the transaction cookie (256-bit, base64url).
std::string newBrowserBinding(core::Random& random);
std::string browserBindingHash(std::string_view bindingCookieValue);
// Constant-time: was this transaction started by the browser presenting this cookie?
bool browserBindingMatches(const LoginTransaction& txn, std::string_view bindingCookieValue);

// The store key of the transaction for `state`: "txn:" + sha256 hex (the raw state is
// never used as a key, so a store dump does not reveal live state values).
std::string transactionStoreKey(std::string_view state);

// PKCE S256 (RFC 7636 s4.2): BASE64URL(SHA256(ASCII(code_verifier))).
std::string pkceChallengeS256(std::string_view codeVerifier);

LoginTransaction createLoginTransaction(const RelyingPartyOptions& rp, std::string returnTo,
                                        std::string_view browserBinding, const core::Clock& clock,
                                        core::Random& random);

// The authorize parameters of one login (OIDC Core s3.1.2.1) in the order they are sent;
// the configured extra params come last, from index `first_extra`.
struct AuthorizeParams {
  core::Params params;
  std::size_t first_extra = 0;
  std::vector<std::string> ignored_params;  // as AuthorizationRequest::ignored_params
};
AuthorizeParams authorizeParams(const RelyingPartyOptions& rp, const LoginTransaction& txn,
                                const AuthorizeHints& hints = {});

// endpoint + '?' (or '&' after the endpoint's own query; a fragment dropped) + params,
// every character but the unreserved ones percent-encoded.
std::string authorizationUrl(std::string_view authorizationEndpoint, const core::Params& params);

// The front-channel request with every parameter in the URL (no PAR, no request object).
AuthorizationRequest buildAuthorizationRequest(std::string_view authorizationEndpoint,
                                               const RelyingPartyOptions& rp,
                                               const LoginTransaction& txn,
                                               const AuthorizeHints& hints = {});

// Compact JSON form for the server-side store. Contains secrets: store only server-side.
std::string serializeTransaction(const LoginTransaction& txn);
Result<LoginTransaction> parseTransaction(std::string_view bytes);

// created_at + ttl <= now. A created_at more than 60 s in the future (clock drift
// between instances beyond that) also counts as expired.
bool isTransactionExpired(const LoginTransaction& txn, const core::Clock& clock,
                          std::chrono::seconds ttl = std::chrono::seconds(600));

}  // namespace authgate::oidc
