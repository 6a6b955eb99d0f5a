// The rp::HttpClient this server hands the library, over httplib::Client (one client per
// request). What the library relies on (docs/LIBRARY.md, "The HTTP client"): connect and
// total timeouts, TLS verified (peer and host name), http and https only, redirects
// returned and not followed, bodies capped, nothing retried, and no body or header value
// in an error. Plain http is for a provider on loopback (the tests); use https otherwise.
#pragma once

#include <httplib.h>  // CPPHTTPLIB_OPENSSL_SUPPORT comes from cpp-httplib.pc (CMakeLists.txt)

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>

#include "authgate/rp/http_client.h"

class HttplibHttpClient final : public authgate::rp::HttpClient {
 public:
  authgate::Result<authgate::rp::HttpResponse> send(
      const authgate::rp::HttpRequest& request) override {
    using authgate::rp::Errc;
    // httplib::Client takes scheme://host[:port]; the request takes the path and query.
    const std::string& url = request.url;
    const auto authority = url.find("://");
    if (authority == std::string::npos) return Errc::kBadUrl;
    const std::string scheme = url.substr(0, authority);
    if (scheme != "http" && scheme != "https") return Errc::kBadUrl;
    const auto pathStart = std::min(url.find_first_of("/?#", authority + 3), url.size());
    std::string path = url.substr(pathStart, url.find('#', pathStart) - pathStart);
    if (!path.starts_with("/")) path.insert(0, "/");

    httplib::Client client(url.substr(0, pathStart));
    if (!client.is_valid()) return Errc::kBadUrl;
    const auto timeout = request.timeout.value_or(std::chrono::seconds(10));
    client.enable_server_certificate_verification(true);  // https: the default, said out loud
    client.set_follow_location(false);                    // redirects go back to the library
    client.set_url_encode(false);                         // the library's URLs are already encoded
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);

    httplib::Request req;
    req.method = request.method;
    req.path = path;
    req.body = request.body;
    for (const auto& [name, value] : request.headers) {
      if ((name + value).find_first_of("\r\n") != std::string::npos) return Errc::kBadRequest;
      req.headers.emplace(name, value);
    }
    // httplib has no total timeout: the deadline is checked as the body arrives (a
    // provider that stalls instead hits the read timeout).
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    authgate::rp::HttpResponse out;
    Errc stopped = Errc::kOk;
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t length) {
      if (std::chrono::steady_clock::now() > deadline) stopped = Errc::kTimeout;
      if (length > kMaxBody || out.body.size() + n > kMaxBody) stopped = Errc::kResponseTooLarge;
      if (stopped != Errc::kOk) return false;
      out.body.append(data, n);
      return true;
    };

    auto res = client.send(req);
    if (!res) {
      switch (res.error()) {
        case httplib::Error::Canceled:
          return stopped;
        case httplib::Error::Connection:  // httplib reports a failed DNS lookup so too
          return Errc::kConnectFailed;
        case httplib::Error::ConnectionTimeout:
          return Errc::kTimeout;
        case httplib::Error::SSLConnection:
        case httplib::Error::SSLServerVerification:
          return Errc::kTlsFailure;
        case httplib::Error::SSLLoadingCerts:
          return Errc::kBadCaFile;
        default:
          return Errc::kIoFailed;
      }
    }
    out.status = res->status;
    for (const auto& [name, value] : res->headers) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      out.headers.emplace_back(std::move(lower), value);
    }
    return out;
  }

 private:
  static constexpr std::size_t kMaxBody = 1 << 20;  // discovery, JWKS and tokens are small
};
