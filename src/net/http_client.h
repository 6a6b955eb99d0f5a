// Outbound HTTP client: how authgate talks to the provider (discovery, JWKS, token,
// userinfo, revocation). Protocol code is handed an HttpClient& and never sees curl;
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
#include <utility>
#include <vector>

#include "authgate/core/errc.h"
#include "authgate/core/secret.h"

namespace authgate::net {

enum class Errc {
  kOk = 0,
  kBadUrl,            // malformed URL or a scheme other than http/https
  kBadRequest,        // method or header that would not form a valid request (e.g. CR/LF)
  kResolveFailed,     // DNS lookup of the host or proxy failed
  kConnectFailed,     // TCP connect refused/unreachable (also to the proxy)
  kTimeout,           // connect or total timeout elapsed
  kTlsFailure,        // handshake failed or the peer certificate did not verify
  kBadCaFile,         // the configured CA bundle could not be read
  kResponseTooLarge,  // body (or announced Content-Length) over max_response_bytes
  kIoFailed,          // send/receive failed after connecting (reset, closed early)
  kProtocol,          // the server's reply was not valid HTTP
  kInternal,          // libcurl could not be initialised or configured
};

}  // namespace authgate::net

namespace authgate::core {
template <>
struct ErrcTraits<net::Errc> {
  static constexpr const char* kCategory = "authgate.net";
  static std::string_view name(net::Errc e);
  static std::string_view message(net::Errc e);
};
}  // namespace authgate::core

AUTHGATE_ERRC(authgate::net)

namespace authgate::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  // Overrides ClientOptions::total_timeout for this request (e.g. a slow revocation).
  std::optional<std::chrono::milliseconds> timeout;
  // Retried on transient failures only when true. Unset: true for GET and HEAD, false
  // otherwise. Never set it for the token endpoint: an authorization code is single-use
  // (RFC 6749 s4.1.2), so a repeated POST could only fail or, worse, be replayed.
  std::optional<bool> idempotent;

  static HttpRequest get(std::string url);
  // A form POST (RFC 6749 s4.1.3 token request, RFC 7009 s2.1 revocation).
  static HttpRequest postForm(std::string url, std::string formBody);
  bool isIdempotent() const;
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names lower-cased, values as sent, in order
  std::string body;

  // First value of the header `lowerName`, if present.
  std::optional<std::string_view> header(std::string_view lowerName) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Performs one request (plus retries when allowed). Any HTTP status is a successful
  // Result; only transport failures are errors.
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

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
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(ClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<HttpResponse> send(const HttpRequest& request) override;

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
