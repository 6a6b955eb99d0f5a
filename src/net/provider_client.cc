#include "net/provider_client.h"

#include <charconv>

#include "authgate/jose/errc.h"

namespace authgate::net {

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
    return oidc::parseProviderMetadata(resp->body, options_.issuer);
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
    jose::JwksFetcher fetch = [this](const std::string& url) -> Result<jose::FetchedJwks> {
      auto resp = http_.send(HttpRequest::get(url));
      if (!resp) return resp.error();
      if (resp->status != 200) return jose::Errc::kJwksFetchFailed;
      jose::FetchedJwks out{std::move(resp->body), std::nullopt};
      if (auto cc = resp->header("cache-control")) out.maxAge = cacheControlMaxAge(*cc);
      return out;
    };
    jwks_ = std::make_unique<jose::JwksCache>((*md)->jwks_uri, std::move(fetch), clock_);
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

Result<HttpResponse> ProviderClient::post(const oidc::TokenEndpointRequest& request) {
  HttpRequest req = HttpRequest::postForm(request.url, request.body.reveal());
  req.headers.emplace_back("Accept", request.accept);
  if (!request.authorization.empty()) {
    req.headers.emplace_back("Authorization", request.authorization.reveal());
  }
  req.idempotent = false;
  return http_.send(req);
}

Result<HttpResponse> ProviderClient::getWithBearer(const std::string& url,
                                                   const core::Secret& token) {
  HttpRequest req = HttpRequest::get(url);
  req.headers.emplace_back("Authorization", "Bearer " + token.reveal());
  req.headers.emplace_back("Accept", "application/json");
  return http_.send(req);
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

}  // namespace authgate::net
