#include "authgate/rp/http_client.h"

namespace authgate::core {

std::string_view ErrcTraits<rp::Errc>::name(rp::Errc e) {
  using rp::Errc;
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kBadUrl:
      return "bad_url";
    case Errc::kBadRequest:
      return "bad_request";
    case Errc::kResolveFailed:
      return "resolve_failed";
    case Errc::kConnectFailed:
      return "connect_failed";
    case Errc::kTimeout:
      return "timeout";
    case Errc::kTlsFailure:
      return "tls_failure";
    case Errc::kBadCaFile:
      return "bad_ca_file";
    case Errc::kResponseTooLarge:
      return "response_too_large";
    case Errc::kIoFailed:
      return "io_failed";
    case Errc::kProtocol:
      return "protocol_error";
    case Errc::kInternal:
      return "internal";
    case Errc::kProviderUnavailable:
      return "provider_unavailable";
    case Errc::kTooManyPendingLogins:
      return "too_many_pending_logins";
    case Errc::kTooManyPendingLoginsForClient:
      return "too_many_pending_logins_ip";
    case Errc::kLogoutTokenReplayed:
      return "logout_token_replayed";
  }
  return "unknown";
}

std::string_view ErrcTraits<rp::Errc>::message(rp::Errc e) {
  using rp::Errc;
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kBadUrl:
      return "URL is malformed or its scheme is not http or https";
    case Errc::kBadRequest:
      return "request method or header is not valid HTTP";
    case Errc::kResolveFailed:
      return "host name could not be resolved";
    case Errc::kConnectFailed:
      return "could not connect to the server or proxy";
    case Errc::kTimeout:
      return "request timed out";
    case Errc::kTlsFailure:
      return "TLS handshake or certificate verification failed";
    case Errc::kBadCaFile:
      return "the configured CA bundle could not be loaded";
    case Errc::kResponseTooLarge:
      return "response body exceeds the size limit";
    case Errc::kIoFailed:
      return "connection failed while sending or receiving";
    case Errc::kProtocol:
      return "server reply is not valid HTTP";
    case Errc::kInternal:
      return "HTTP client could not be initialised";
    case Errc::kProviderUnavailable:
      return "the provider's configuration could not be loaded";
    case Errc::kTooManyPendingLogins:
      return "too many sign-ins are in progress";
    case Errc::kTooManyPendingLoginsForClient:
      return "too many sign-ins are in progress from this address";
    case Errc::kLogoutTokenReplayed:
      return "this logout token was already used";
  }
  return "unknown error";
}

}  // namespace authgate::core

namespace authgate::rp {

HttpRequest HttpRequest::get(std::string url) {
  HttpRequest r;
  r.method = "GET";
  r.url = std::move(url);
  return r;
}

HttpRequest HttpRequest::postForm(std::string url, std::string formBody) {
  HttpRequest r;
  r.method = "POST";
  r.url = std::move(url);
  r.body = std::move(formBody);
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  return r;
}

bool HttpRequest::isIdempotent() const {
  if (idempotent) return *idempotent;
  return method == "GET" || method == "HEAD";
}

std::optional<std::string_view> HttpResponse::header(std::string_view lowerName) const {
  for (const auto& [k, v] : headers) {
    if (k == lowerName) return std::string_view(v);
  }
  return std::nullopt;
}

}  // namespace authgate::rp
