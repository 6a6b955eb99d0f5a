// Everything authgate fetches from or sends to the OpenID provider, over one HttpClient:
// discovery (cached, refreshed, last good kept), the JWKS cache, and the token, userinfo
// and revocation endpoints. Protocol decisions stay in oidc/ and jose/; this class only
// moves bytes and caches.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "authgate/core/clock.h"
#include "authgate/core/random.h"
#include "authgate/jose/jwks_cache.h"
#include "authgate/jose/sign.h"
#include "authgate/oidc/discovery.h"
#include "authgate/oidc/token.h"
#include "authgate/rp/http_client.h"

namespace authgate::rp {

struct ProviderClientOptions {
  std::string issuer{};                      // exact
  std::string discovery_url{};               // "" -> issuer + .well-known/openid-configuration
  std::chrono::seconds discovery_ttl{3600};  // refetch after this; last good kept on failure
  std::chrono::seconds discovery_retry{30};  // after a failed fetch, no refetch before this
  // provider.dpop (RFC 9449): the key every token-endpoint request and every use of an
  // access token proves possession of; nullptr: no DPoP.
  std::shared_ptr<const jose::SigningKey> dpop_key{};
  core::Random* random = nullptr;  // DPoP proof jti; nullptr: core::OpenSslRandom
  // A TLS client certificate is configured (RFC 8705): metadata() answers the
  // mtls_endpoint_aliases in place of the token, revocation and UserInfo endpoints.
  bool use_mtls_endpoint_aliases = false;
};

class ProviderClient {
 public:
  ProviderClient(HttpClient& http, const core::Clock& clock, ProviderClientOptions options);
  ProviderClient(const ProviderClient&) = delete;
  ProviderClient& operator=(const ProviderClient&) = delete;

  // The validated metadata: fetched on first use, refreshed after discovery_ttl. A failed
  // refresh keeps the last good document. Fails only when none was ever loaded.
  Result<std::shared_ptr<const oidc::ProviderMetadata>> metadata();

  // The JWKS cache for the metadata's jwks_uri (created on first use).
  Result<jose::JwksCache*> jwks();

  // Runs `check(keys)` with the cached keys. When it fails because no cached key fits
  // the token (a rotation the cache has not seen yet), refetches once (rate-limited by
  // the cache) and runs it again: keys rotate without a failed request.
  template <class T>
  Result<T> withKeys(const std::function<Result<T>(const jose::KeyStore&)>& check);

  // Builds the same request again with fresh client authentication (a new assertion
  // jti): what a DPoP nonce retry sends.
  using Rebuild = std::function<Result<oidc::TokenEndpointRequest>()>;
  // POSTs a token-endpoint request (code exchange, refresh, revocation). Never retried,
  // except with DPoP: a use_dpop_nonce answer that carries a DPoP-Nonce is sent once
  // more with a proof holding that nonce (RFC 9449 s8), built by `rebuild` when given
  // (client assertions are single-use) or else the same request. Every DPoP-Nonce the
  // provider sends is remembered for that endpoint and put in the next proof.
  Result<HttpResponse> post(const oidc::TokenEndpointRequest& request, const Rebuild& rebuild = {});
  // GET with an access token (userinfo): "Bearer", or with DPoP "DPoP" and a proof
  // carrying the token's hash (ath), retried once on a use_dpop_nonce challenge.
  Result<HttpResponse> getWithBearer(const std::string& url, const core::Secret& token);

  // The latest DPoP-Nonce the provider sent for `url` (query dropped); "" none.
  std::string dpopNonce(const std::string& url) const;
  // Whether provider.dpop is on (a key is configured).
  bool dpop() const { return options_.dpop_key != nullptr; }
  // A DPoP proof with authgate's key for presenting `accessToken` in `method url` to a
  // resource server other than the provider (an upstream that asks for the token): the
  // proof's ath binds it to that token and its htm/htu to that one request. No nonce
  // (an upstream's nonce challenge goes back to the client). kDpopProofFailed when DPoP
  // is off or the URL is not absolute http(s).
  Result<core::Secret> resourceProof(std::string_view method, std::string_view url,
                                     const core::Secret& accessToken) const;

  const std::string& discoveryUrl() const { return discoveryUrl_; }
  HttpClient& http() { return http_; }

 private:
  static bool isKeyMiss(const error_code& ec);
  // Adds the DPoP header for `method url` (nothing without a key); remembers nonces.
  Result<void> addDpopProof(HttpRequest& req, const core::Secret* accessToken);
  void rememberNonce(const std::string& url, const HttpResponse& response);
  // Whether `response` asks for a nonce and brought one: then the request is retried.
  bool wantsNonceRetry(const HttpResponse& response) const;
  Result<std::shared_ptr<const jose::KeyStore>> keysFor(bool refresh);

  HttpClient& http_;
  const core::Clock& clock_;
  const ProviderClientOptions options_;
  const std::string discoveryUrl_;

  mutable std::mutex mu_;
  std::shared_ptr<const oidc::ProviderMetadata> metadata_;
  core::TimePoint metadataExpires_{};
  core::TimePoint nextAttempt_{};
  error_code lastError_;
  std::unique_ptr<jose::JwksCache> jwks_;
  std::map<std::string, std::string> dpopNonces_;  // htu -> latest DPoP-Nonce
};

// Reads max-age from a Cache-Control header value ("public, max-age=600").
std::optional<std::chrono::seconds> cacheControlMaxAge(std::string_view value);

// How a jose::JwksCache fetches a key set over `http`: a GET, only a 200 counts, its
// Cache-Control max-age passed on. The provider's own cache and the trusted key sets
// of bearer verification use it.
jose::JwksFetcher jwksFetcher(HttpClient& http);

template <class T>
Result<T> ProviderClient::withKeys(const std::function<Result<T>(const jose::KeyStore&)>& check) {
  auto keys = keysFor(false);
  if (!keys) return keys.error();
  auto result = check(**keys);
  if (result || !isKeyMiss(result.error())) return result;
  auto fresh = keysFor(true);
  if (!fresh) return result;  // keep the original reason: the token's key is unknown
  return check(**fresh);
}

}  // namespace authgate::rp
