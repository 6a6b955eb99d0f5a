// The HTTP client the relying party talks to its provider through (discovery, JWKS,
// token, UserInfo, revocation, PAR). The library never sees a socket: the server that
// embeds it hands over an HttpClient (authgate's binary uses libcurl, net::CurlHttpClient;
// tests hand a fake). What an implementation must do is in docs/LIBRARY.md ("The HTTP
// client"): connect and total timeouts, TLS always verified, http(s) only, redirects
// returned and not followed, bodies capped, only idempotent requests retried, and
// nothing of a body or header value in an error.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "authgate/core/errc.h"

namespace authgate::rp {

// Transport failures an HttpClient reports (any HTTP status is a response, not one of
// these).
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
  // The relying-party steps (authgate/rp/relying_party.h):
  kProviderUnavailable,            // the provider's discovery could not be loaded
  kTooManyPendingLogins,           // maxPendingLogins logins are in progress
  kTooManyPendingLoginsForClient,  // maxPendingLoginsPerClient from this client address
  kLogoutTokenReplayed,            // a back-channel logout token's jti was already used
};

}  // namespace authgate::rp

namespace authgate::core {
template <>
struct ErrcTraits<rp::Errc> {
  static constexpr const char* kCategory = "authgate.rp";
  static std::string_view name(rp::Errc e);
  static std::string_view message(rp::Errc e);
};
}  // namespace authgate::core

AUTHGATE_ERRC(authgate::rp)

namespace authgate::rp {

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

}  // namespace authgate::rp
