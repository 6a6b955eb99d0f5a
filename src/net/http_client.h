// authgate's outbound HTTP client: rp::HttpClient (include/authgate/rp/http_client.h)
// over libcurl. The relying party is handed an rp::HttpClient& and never sees curl;
// tests hand it a fake. CurlHttpClient is the one production implementation.
//
// What it guarantees (docs/HTTP_CLIENT.md):
// - connect and total timeouts on every request;
// - TLS peer and host verification always on; only a custom CA bundle is configurable;
// - only http:// and https:// URLs; redirects are returned, never followed;
// - the proxy environment (http_proxy, HTTPS_PROXY, NO_PROXY, ...) is honoured;
// - response bodies are capped;
// - retries with backoff for idempotent requests only (never the token endpoint POST);
// - keep-alive connections are reused across requests.
// Nothing here logs bodies or header values, and errors never carry response data.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "authgate/core/errc.h"
#include "authgate/core/secret.h"
#include "authgate/rp/http_client.h"

namespace authgate::net {

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds total_timeout{10000};
  std::size_t max_response_bytes = 1024 * 1024;
  std::string ca_file;  // PEM bundle; empty: the system trust store
  // RFC 8705: the TLS client certificate (PEM, the chain after the leaf allowed) and its
  // private key (PEM, unencrypted) presented to every https server that asks for one.
  // Both empty: none. Held in memory; the files are read when the settings load.
  std::string tls_client_certificate;
  core::Secret tls_client_key;
  int max_retries = 2;  // extra attempts after the first, idempotent requests only
  std::chrono::milliseconds retry_backoff{200};  // first delay; doubles, with jitter
  // A Retry-After above this is not waited for: the response is returned instead.
  std::chrono::milliseconds max_retry_after{5000};
  std::string user_agent = "authgate";
};

// libcurl-backed client. Thread-safe: send() may be called from any number of threads.
// Each call borrows an easy handle from a small pool, so a keep-alive connection to the
// provider is reused by the next request that gets the same handle.
class CurlHttpClient final : public rp::HttpClient {
 public:
  explicit CurlHttpClient(ClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<rp::HttpResponse> send(const rp::HttpRequest& request) override;

  const ClientOptions& options() const { return options_; }

 private:
  struct Impl;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Delay before retry number `attempt` (1-based): backoff * 2^(attempt-1), scaled by a
// jitter factor in [0.5, 1.0] so many gateways restarting together spread out.
std::chrono::milliseconds retryDelay(std::chrono::milliseconds backoff, int attempt,
                                     double jitter01);

// Parses Retry-After as delay-seconds (RFC 9110 s10.2.3). The HTTP-date form is not
// used by the providers we talk to and yields nullopt (fall back to our own backoff).
std::optional<std::chrono::seconds> parseRetryAfter(std::string_view value);

}  // namespace authgate::net
