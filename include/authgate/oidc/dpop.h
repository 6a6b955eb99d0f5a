// DPoP (RFC 9449): the proofs authgate sends with its token-endpoint requests (and with a
// DPoP-bound access token at UserInfo), and the provider's nonce challenge. Values in,
// values out: the key, the time, the jti and the nonce are passed in; the nonce cache
// and the one retry live with the I/O (net::ProviderClient).
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "authgate/core/secret.h"
#include "authgate/jose/sign.h"
#include "authgate/oidc/errc.h"

namespace authgate::oidc {

inline constexpr std::string_view kDpopProofType = "dpop+jwt";  // RFC 9449 s4.2
inline constexpr std::size_t kMaxDpopNonceBytes = 512;

struct DpopProofRequest {
  std::string_view method;  // htm: the HTTP method, e.g. "POST"
  std::string_view url;     // htu: the target URI; its query and fragment are dropped
  std::int64_t iat = 0;     // unix seconds
  std::string jti;          // unique per proof (s4.2: "MUST ... not be reused")
  std::string nonce{};      // the server's latest DPoP-Nonce for this endpoint; "" none
  // The access token presented with this request (UserInfo): its hash goes in `ath`
  // (s4.2). nullptr at the token endpoint, where no token is presented.
  const core::Secret* access_token = nullptr;
};

// htu of s4.2: the absolute http(s) URL without query and fragment. nullopt when `url`
// is not an absolute http(s) URL with a host.
std::optional<std::string> dpopHtu(std::string_view url);

// The `jwk` header member: the public key's required members only (kty, crv, x, y or
// kty, n, e), never kid, alg, use or any private member (s4.2 "MUST NOT contain a
// private key").
boost::json::object dpopPublicJwk(const jose::SigningKey& key);
// The RFC 7638 thumbprint of that JWK: the `jkt` a bound token's `cnf` carries (s6.1).
std::string dpopJkt(const jose::SigningKey& key);
// ath: base64url(SHA-256(access token)) (s4.2).
std::string dpopAccessTokenHash(const core::Secret& accessToken);

// The proof JWT: header {typ: dpop+jwt, alg, jwk}, claims {jti, htm, htu, iat, nonce?,
// ath?}. kDpopProofFailed when the URL is not http(s), the method or jti is empty, or
// signing fails. The proof is a credential of its request: kept in a Secret.
Result<core::Secret> buildDpopProof(const jose::SigningKey& key, const DpopProofRequest& req);

// The DPoP-Nonce header value (s8.1: nonce = 1*NQCHAR, NQCHAR = %x21 / %x23-5B /
// %x5D-7E): nullopt when empty, longer than kMaxDpopNonceBytes, or holding any other
// byte (a space, a quote, a backslash, a control or non-ASCII byte). No trimming.
std::optional<std::string> parseDpopNonce(std::string_view headerValue);

// Whether a response asks for a (fresh) nonce: the authorization server answers 400 with
// the JSON error "use_dpop_nonce" (s8); a resource server (UserInfo) answers 401 with
// `WWW-Authenticate: DPoP error="use_dpop_nonce"` (s9). A malformed challenge is not one.
bool isUseDpopNonceError(int httpStatus, std::string_view body,
                         std::optional<std::string_view> wwwAuthenticate);

// The auth-param `param` (case-insensitive name) of the first challenge of `scheme`
// (case-insensitive) in a WWW-Authenticate value (RFC 9110 s11.6.1: challenges and
// auth-params separated by commas, values a token or a quoted-string). nullopt when there
// is no such challenge or parameter, or the header does not parse.
std::optional<std::string> challengeParam(std::string_view wwwAuthenticate, std::string_view scheme,
                                          std::string_view param);

}  // namespace authgate::oidc
