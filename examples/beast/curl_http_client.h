// The rp::HttpClient this server hands the library, over libcurl (one easy handle per
// request). What the library relies on (docs/LIBRARY.md, "The HTTP client"): connect and
// total timeouts, TLS verified (peer and host name), http and https only, redirects
// returned and not followed, bodies capped, nothing retried, and no body or header value
// in an error. Plain http is for a provider on loopback (the tests); use https otherwise.
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>

#include "authgate/rp/http_client.h"

class CurlHttpClient final : public authgate::rp::HttpClient {
 public:
  // curl_global_init must run once before any thread uses libcurl.
  CurlHttpClient() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  authgate::Result<authgate::rp::HttpResponse> send(
      const authgate::rp::HttpRequest& request) override {
    using authgate::rp::Errc;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(),
                                                               &curl_easy_cleanup);
    if (!handle) return Errc::kInternal;
    CURL* h = handle.get();
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr,
                                                                        &curl_slist_free_all);
    for (const auto& [name, value] : request.headers) {
      if ((name + value).find_first_of("\r\n") != std::string::npos) return Errc::kBadRequest;
      headers.reset(curl_slist_append(headers.release(), (name + ": " + value).c_str()));
    }
    Exchange x;
    const auto timeout = request.timeout.value_or(std::chrono::seconds(10));
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "POST" || !request.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);  // libcurl's defaults, said out loud
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, long(timeout.count()));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we have threads
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(kMaxBody));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Exchange::onBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Exchange::onHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    switch (curl_easy_perform(h)) {
      case CURLE_OK:
        break;
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
        return Errc::kBadUrl;
      case CURLE_COULDNT_RESOLVE_HOST:
        return Errc::kResolveFailed;
      case CURLE_COULDNT_CONNECT:
        return Errc::kConnectFailed;
      case CURLE_OPERATION_TIMEDOUT:
        return Errc::kTimeout;
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION:
        return Errc::kTlsFailure;
      case CURLE_SSL_CACERT_BADFILE:
        return Errc::kBadCaFile;
      case CURLE_FILESIZE_EXCEEDED:
      case CURLE_WRITE_ERROR:  // onBody refused more than kMaxBody
        return Errc::kResponseTooLarge;
      default:
        return Errc::kIoFailed;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x.response.status);
    return std::move(x.response);
  }

 private:
  static constexpr std::size_t kMaxBody = 1 << 20;  // discovery, JWKS and tokens are small

  struct Exchange {
    authgate::rp::HttpResponse response;

    static size_t onBody(char* data, size_t, size_t n, void* self) {
      auto& body = static_cast<Exchange*>(self)->response.body;
      if (body.size() + n > kMaxBody) return 0;  // ends the transfer: CURLE_WRITE_ERROR
      body.append(data, n);
      return n;
    }
    // One call per header line; a new status line (after a 100 Continue) starts over.
    static size_t onHeader(char* data, size_t, size_t n, void* self) {
      auto& headers = static_cast<Exchange*>(self)->response.headers;
      std::string line(data, n);
      if (line.starts_with("HTTP/")) headers.clear();
      const auto colon = line.find(':');
      if (colon == std::string::npos) return n;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      const auto start = line.find_first_not_of(" \t", colon + 1);
      const auto end = line.find_last_not_of(" \t\r\n");
      headers.emplace_back(name, start > end ? "" : line.substr(start, end - start + 1));
      return n;
    }
  };
};
