#include "authgate/rp/provider_client.h"

#include <charconv>

#include "authgate/jose/errc.h"
#include "authgate/oidc/dpop.h"

namespace authgate::rp {

ProviderClient::ProviderClient(HttpClient& http, const core::Clock& clock,
                               ProviderClientOptions options)
    : http_(http),
      clock_(clock),
      options_(std::move(options)),
      discoveryUrl_(options_.discovery_url.empty() ? oidc::discoveryUrl(options_.issuer)
                                                   : options_.discovery_url) {}

Result<std::shared_ptr<const oidc::ProviderMetadata>> ProviderClient::metadata() {
  auto now = clock_.now();
  {
    std::lock_guard lock(mu_);
    if (metadata_ && now < metadataExpires_) return metadata_;
    if (now < nextAttempt_) {
      if (metadata_) return metadata_;
      if (lastError_) return lastError_;
      // The first fetch is still in flight on another thread (e.g. the start-up
      // fetch): there is no document and no failure to report yet, so fetch as well
      // rather than fail this request with an empty error.
    } else {
      // Claim the attempt so concurrent callers keep using the current document.
      nextAttempt_ = now + options_.discovery_retry;
    }
  }
  auto fetched = [&]() -> Result<oidc::ProviderMetadata> {
    auto resp = http_.send(HttpRequest::get(discoveryUrl_));
    if (!resp) return resp.error();
    if (resp->status != 200) return oidc::Errc::kBadDiscoveryDocument;
    auto md = oidc::parseProviderMetadata(resp->body, options_.issuer);
    if (md && options_.use_mtls_endpoint_aliases) return oidc::withMtlsEndpointAliases(*md);
    return md;
  }();
  std::lock_guard lock(mu_);
  if (!fetched) {
    lastError_ = fetched.error();
    if (metadata_) return metadata_;
    return lastError_;
  }
  metadata_ = std::make_shared<const oidc::ProviderMetadata>(std::move(*fetched));
  metadataExpires_ = now + options_.discovery_ttl;
  nextAttempt_ = {};
  return metadata_;
}

Result<jose::JwksCache*> ProviderClient::jwks() {
  auto md = metadata();
  if (!md) return md.error();
  std::lock_guard lock(mu_);
  if (!jwks_ || jwks_->url() != (*md)->jwks_uri) {
    jwks_ = std::make_unique<jose::JwksCache>((*md)->jwks_uri, jwksFetcher(http_), clock_);
  }
  return jwks_.get();
}

bool ProviderClient::isKeyMiss(const error_code& ec) {
  return ec == jose::Errc::kUnknownKid || ec == jose::Errc::kNoMatchingKey;
}

Result<std::shared_ptr<const jose::KeyStore>> ProviderClient::keysFor(bool refresh) {
  auto cache = jwks();
  if (!cache) return cache.error();
  return refresh ? (*cache)->refreshForUnknownKey() : (*cache)->keys();
}

std::string ProviderClient::dpopNonce(const std::string& url) const {
  auto htu = oidc::dpopHtu(url);
  std::lock_guard lock(mu_);
  auto it = htu ? dpopNonces_.find(*htu) : dpopNonces_.end();
  return it == dpopNonces_.end() ? std::string() : it->second;
}

void ProviderClient::rememberNonce(const std::string& url, const HttpResponse& response) {
  if (!options_.dpop_key) return;
  auto header = response.header("dpop-nonce");
  auto htu = oidc::dpopHtu(url);
  if (!header || !htu) return;
  auto nonce = oidc::parseDpopNonce(*header);  // a malformed one is not kept
  if (!nonce) return;
  std::lock_guard lock(mu_);
  dpopNonces_[*htu] = std::move(*nonce);
}

bool ProviderClient::wantsNonceRetry(const HttpResponse& response) const {
  if (!options_.dpop_key) return false;
  auto header = response.header("dpop-nonce");
  return header && oidc::parseDpopNonce(*header) &&
         oidc::isUseDpopNonceError(static_cast<int>(response.status), response.body,
                                   response.header("www-authenticate"));
}

Result<core::Secret> ProviderClient::resourceProof(std::string_view method, std::string_view url,
                                                   const core::Secret& accessToken) const {
  if (!options_.dpop_key) return oidc::Errc::kDpopProofFailed;
  core::Random& random =
      options_.random != nullptr ? *options_.random : core::OpenSslRandom::instance();
  return oidc::buildDpopProof(*options_.dpop_key, {.method = method,
                                                   .url = url,
                                                   .iat = clock_.unixSeconds(),
                                                   .jti = random.token(24),
                                                   .nonce = {},
                                                   .access_token = &accessToken});
}

Result<void> ProviderClient::addDpopProof(HttpRequest& req, const core::Secret* accessToken) {
  if (!options_.dpop_key) return {};
  core::Random& random =
      options_.random != nullptr ? *options_.random : core::OpenSslRandom::instance();
  auto proof = oidc::buildDpopProof(*options_.dpop_key, {.method = req.method,
                                                         .url = req.url,
                                                         .iat = clock_.unixSeconds(),
                                                         .jti = random.token(24),
                                                         .nonce = dpopNonce(req.url),
                                                         .access_token = accessToken});
  if (!proof) return proof.error();
  req.headers.emplace_back("DPoP", proof->reveal());
  return {};
}

Result<HttpResponse> ProviderClient::post(const oidc::TokenEndpointRequest& request,
                                          const Rebuild& rebuild) {
  auto send = [this](const oidc::TokenEndpointRequest& r) -> Result<HttpResponse> {
    HttpRequest req = HttpRequest::postForm(r.url, r.body.reveal());
    req.headers.emplace_back("Accept", r.accept);
    if (!r.authorization.empty())
      req.headers.emplace_back("Authorization", r.authorization.reveal());
    req.idempotent = false;
    if (auto ok = addDpopProof(req, nullptr); !ok) return ok.error();
    auto response = http_.send(req);
    if (response) rememberNonce(r.url, *response);
    return response;
  };
  auto first = send(request);
  if (!first || !wantsNonceRetry(*first)) return first;
  // RFC 9449 s8: the provider refused the proof for want of its nonce and sent one; one
  // more attempt with it. Nothing was granted, so the code is still unused.
  if (!rebuild) return send(request);
  auto again = rebuild();
  if (!again) return first;
  return send(*again);
}

Result<HttpResponse> ProviderClient::getWithBearer(const std::string& url,
                                                   const core::Secret& token) {
  auto send = [&]() -> Result<HttpResponse> {
    HttpRequest req = HttpRequest::get(url);
    // RFC 9449 s7.1: a DPoP-bound token goes with the DPoP scheme and a proof with ath.
    const char* scheme = options_.dpop_key ? "DPoP " : "Bearer ";
    req.headers.emplace_back("Authorization", scheme + token.reveal());
    req.headers.emplace_back("Accept", "application/json");
    // A proof is single-use (s11.1): a transport retry would replay it.
    if (options_.dpop_key) req.idempotent = false;
    if (auto ok = addDpopProof(req, &token); !ok) return ok.error();
    auto response = http_.send(req);
    if (response) rememberNonce(url, *response);
    return response;
  };
  auto first = send();
  if (!first || !wantsNonceRetry(*first)) return first;
  return send();
}

jose::JwksFetcher jwksFetcher(HttpClient& http) {
  return [&http](const std::string& url) -> Result<jose::FetchedJwks> {
    auto resp = http.send(HttpRequest::get(url));
    if (!resp) return resp.error();
    if (resp->status != 200) return jose::Errc::kJwksFetchFailed;
    jose::FetchedJwks out{std::move(resp->body), std::nullopt};
    if (auto cc = resp->header("cache-control")) out.maxAge = cacheControlMaxAge(*cc);
    return out;
  };
}

std::optional<std::chrono::seconds> cacheControlMaxAge(std::string_view value) {
  constexpr std::string_view kKey = "max-age=";
  for (size_t pos = 0; (pos = value.find(kKey, pos)) != std::string_view::npos; ++pos) {
    // A directive starts the value or follows ',' or ' ' (not s-maxage=).
    if (pos > 0 && value[pos - 1] != ',' && value[pos - 1] != ' ') continue;
    auto digits = value.substr(pos + kKey.size());
    long long n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end == digits.data() || n < 0) return std::nullopt;
    return std::chrono::seconds(n);
  }
  return std::nullopt;
}

}  // namespace authgate::rp
