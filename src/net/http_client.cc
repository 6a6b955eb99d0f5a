#include "net/http_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <mutex>
#include <random>
#include <thread>

#include "authgate/core/base64url.h"
#include "authgate/core/codec.h"

namespace authgate::net {

using rp::Errc;
using rp::Headers;
using rp::HttpRequest;
using rp::HttpResponse;

namespace {

// curl_global_init is not thread-safe and must run once per process before any handle
// exists (libcurl-thread(3)); every client goes through here.
CURLcode globalInit() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

bool isTchar(char c) {
  // RFC 9110 s5.6.2 token characters.
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         kExtra.find(c) != std::string_view::npos;
}

bool isToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isTchar); }

// A CR or LF in a header value would let a caller (or a value it copied from a
// provider document) inject extra headers or a second request.
bool isSafeHeaderValue(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// What one transfer collects; the curl callbacks write into it.
struct Transfer {
  std::size_t cap = 0;
  bool headRequest = false;
  bool tooLarge = false;
  std::string body;
  Headers headers;
};

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * count;
  if (len > t->cap - t->body.size()) {
    // Returning a short count aborts the transfer (CURLE_WRITE_ERROR): a hostile or
    // broken endpoint cannot make us buffer an unbounded body.
    t->tooLarge = true;
    return 0;
  }
  t->body.append(data, len);
  return len;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * count;
  std::string_view line(data, len);
  if (line.starts_with("HTTP/")) {
    // A new status line (after a 1xx): only the final response's headers count.
    t->headers.clear();
    return len;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return len;  // blank line or junk
  std::string name = lower(trimOws(line.substr(0, colon)));
  std::string_view value = trimOws(line.substr(colon + 1));
  if (name == "content-length" && !t->headRequest) {
    // Refuse early when the server announces a body over the cap, before reading it.
    unsigned long long announced = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), announced);
    if (ec == std::errc::result_out_of_range ||
        (ec == std::errc() && end == value.data() + value.size() && announced > t->cap)) {
      t->tooLarge = true;
      return 0;
    }
  }
  t->headers.emplace_back(std::move(name), std::string(value));
  return len;
}

Errc mapCurlError(CURLcode code, bool tooLarge) {
  if (tooLarge) return Errc::kResponseTooLarge;
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return Errc::kBadUrl;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
      return Errc::kResolveFailed;
    case CURLE_COULDNT_CONNECT:
      return Errc::kConnectFailed;
    case CURLE_OPERATION_TIMEDOUT:
      return Errc::kTimeout;
    case CURLE_SSL_CACERT_BADFILE:
      return Errc::kBadCaFile;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return Errc::kTlsFailure;
    case CURLE_FILESIZE_EXCEEDED:
      return Errc::kResponseTooLarge;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_PROXY:
      return Errc::kProtocol;
    case CURLE_FAILED_INIT:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
      return Errc::kInternal;
    default:
      return Errc::kIoFailed;
  }
}

bool isRetryableError(const error_code& ec) {
  return ec == Errc::kConnectFailed || ec == Errc::kTimeout || ec == Errc::kResolveFailed;
}

bool isRetryableStatus(long status) { return status == 502 || status == 503 || status == 504; }

double jitter() {
  thread_local std::minstd_rand gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

}  // namespace

std::chrono::milliseconds retryDelay(std::chrono::milliseconds backoff, int attempt,
                                     double jitter01) {
  const int shift = std::clamp(attempt - 1, 0, 16);
  const double factor = 0.5 + 0.5 * std::clamp(jitter01, 0.0, 1.0);
  const double ms = static_cast<double>(backoff.count()) * static_cast<double>(1LL << shift);
  return std::chrono::milliseconds(static_cast<long long>(ms * factor));
}

std::optional<std::chrono::seconds> parseRetryAfter(std::string_view value) {
  value = trimOws(value);
  if (value.empty() || value.size() > 9) return std::nullopt;
  long long seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

// The share object holds the DNS cache and TLS sessions for all of this client's
// handles. The connection cache is deliberately NOT shared: with libcurl 7.88 (Debian
// 12) a connection cache shared between threads is a documented known bug (curl issue
// #4915, KNOWN_BUGS "A shared connection cache is not thread-safe"). Connections are
// reused instead through the handle pool: each easy handle keeps its own keep-alive
// connections across curl_easy_reset(), and returns to the pool after each request.
struct CurlHttpClient::Impl {
  CURLcode initResult = CURLE_OK;
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;
  std::mutex poolMu;
  std::vector<CURL*> idle;
  static constexpr std::size_t kMaxIdle = 16;

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (data >= 0 && data < CURL_LOCK_DATA_LAST) self->locks[static_cast<size_t>(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (data >= 0 && data < CURL_LOCK_DATA_LAST) self->locks[static_cast<size_t>(data)].unlock();
  }

  Impl() {
    initResult = globalInit();
    if (initResult != CURLE_OK) return;
    share = curl_share_init();
    if (share == nullptr) return;
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Impl::lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }

  ~Impl() {
    // Handles first: they reference the share.
    for (CURL* h : idle) curl_easy_cleanup(h);
    if (share != nullptr) curl_share_cleanup(share);
  }

  CURL* acquire() {
    {
      std::lock_guard lock(poolMu);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    if (initResult != CURLE_OK || share == nullptr) return nullptr;
    CURL* h = curl_easy_init();
    if (h != nullptr) curl_easy_setopt(h, CURLOPT_SHARE, share);
    return h;
  }

  void release(CURL* h) {
    {
      std::lock_guard lock(poolMu);
      if (idle.size() < kMaxIdle) {
        idle.push_back(h);
        return;
      }
    }
    curl_easy_cleanup(h);
  }

  // Returns a handle to the pool on every path out of one attempt.
  class Lease {
   public:
    explicit Lease(Impl& impl) : impl_(impl), handle_(impl.acquire()) {}
    ~Lease() {
      if (handle_ != nullptr) impl_.release(handle_);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    CURL* get() const { return handle_; }

   private:
    Impl& impl_;
    CURL* handle_;
  };

  Result<HttpResponse> performOnce(const ClientOptions& opt, const HttpRequest& req);
};

CurlHttpClient::CurlHttpClient(ClientOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

CurlHttpClient::~CurlHttpClient() = default;

Result<HttpResponse> CurlHttpClient::Impl::performOnce(const ClientOptions& opt,
                                                       const HttpRequest& req) {
  Lease lease(*this);
  CURL* h = lease.get();
  if (h == nullptr) return Errc::kInternal;

  Slist headerList;
  auto addHeader = [&](const std::string& line) -> bool {
    curl_slist* next = curl_slist_append(headerList.get(), line.c_str());
    if (next == nullptr) return false;
    headerList.release();
    headerList.reset(next);
    return true;
  };
  for (const auto& [name, value] : req.headers) {
    // "Name;" is libcurl's spelling of a header with an empty value.
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    if (!addHeader(line)) return Errc::kInternal;
  }
  // Without this libcurl may wait up to 1 s for a "100 Continue" before sending a
  // larger POST body; the provider's endpoints never need it.
  if (!addHeader("Expect:")) return Errc::kInternal;

  Transfer t;
  t.cap = opt.max_response_bytes;
  t.headRequest = req.method == "HEAD";

  const auto timeout = req.timeout.value_or(opt.total_timeout);

  // Options are set afresh for every request: curl_easy_reset clears them but keeps the
  // handle's live connections, DNS and TLS session caches and the share.
  curl_easy_reset(h);
  bool ok = true;
  auto set = [&](CURLoption o, auto v) { ok = ok && curl_easy_setopt(h, o, v) == CURLE_OK; };
  set(CURLOPT_URL, req.url.c_str());
  // Only http and https, also after any redirect (we never follow one, but keep the
  // restriction in place should that ever change).
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  // Required for multi-threaded use: no SIGALRM-based DNS timeouts (libcurl-thread(3)).
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  // TLS verification is not configurable: an unverified provider means forged tokens.
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
  set(CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
  if (!opt.ca_file.empty()) set(CURLOPT_CAINFO, opt.ca_file.c_str());
  if (!opt.tls_client_certificate.empty()) {
    // libcurl copies both (CURL_BLOB_COPY): nothing of this stack frame is kept.
    curl_blob cert{const_cast<char*>(opt.tls_client_certificate.data()),
                   opt.tls_client_certificate.size(), CURL_BLOB_COPY};
    curl_blob key{const_cast<char*>(opt.tls_client_key.reveal().data()),
                  opt.tls_client_key.reveal().size(), CURL_BLOB_COPY};
    set(CURLOPT_SSLCERTTYPE, "PEM");
    set(CURLOPT_SSLCERT_BLOB, &cert);
    set(CURLOPT_SSLKEYTYPE, "PEM");
    set(CURLOPT_SSLKEY_BLOB, &key);
  }
  // CURLOPT_PROXY / CURLOPT_NOPROXY are left unset on purpose so libcurl reads the
  // proxy environment (http_proxy, HTTPS_PROXY, ALL_PROXY, NO_PROXY) per request.
  // Proxy CONNECT response headers are not the provider's headers.
  set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  set(CURLOPT_USERAGENT, opt.user_agent.c_str());
  set(CURLOPT_HTTPHEADER, headerList.get());
  set(CURLOPT_WRITEFUNCTION, &onBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
  set(CURLOPT_HEADERFUNCTION, &onHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
  // A HEAD response's Content-Length describes a body that never comes.
  if (!t.headRequest) {
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(opt.max_response_bytes));
  }
  if (req.method == "GET") {
    set(CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else {
    if (req.method != "POST") set(CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method == "POST" || !req.body.empty()) {
      set(CURLOPT_POST, 1L);
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      set(CURLOPT_POSTFIELDS, req.body.data());
    }
  }
  if (!ok) return Errc::kInternal;

  const CURLcode rc = curl_easy_perform(h);
  // Unset pointers into this frame before the handle goes back to the pool.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  if (rc != CURLE_OK) return mapCurlError(rc, t.tooLarge);

  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  HttpResponse resp;
  resp.status = status;
  resp.headers = std::move(t.headers);
  resp.body = std::move(t.body);
  return resp;
}

namespace {

Result<void> validate(const HttpRequest& req) {
  if (!isToken(req.method)) return Errc::kBadRequest;
  if (req.url.empty() || !isSafeHeaderValue(req.url)) return Errc::kBadUrl;
  for (const auto& [name, value] : req.headers) {
    if (!isToken(name) || !isSafeHeaderValue(value)) return Errc::kBadRequest;
  }
  return {};
}

}  // namespace

Result<HttpResponse> CurlHttpClient::send(const HttpRequest& request) {
  if (auto v = validate(request); !v) return v.error();
  const bool retryable = request.isIdempotent();
  const int maxRetries = retryable ? std::max(options_.max_retries, 0) : 0;

  for (int attempt = 0;; ++attempt) {
    auto result = impl_->performOnce(options_, request);
    if (attempt >= maxRetries) return result;

    std::chrono::milliseconds delay = retryDelay(options_.retry_backoff, attempt + 1, jitter());
    if (result) {
      if (!isRetryableStatus(result->status)) return result;
      // RFC 9110 s10.2.3: the server says when to come back. A longer wait than we are
      // willing to block a request for means: give the caller the answer now.
      if (auto ra = result->header("retry-after")) {
        if (auto secs = parseRetryAfter(*ra)) {
          if (*secs > options_.max_retry_after) return result;
          delay = *secs;
        }
      }
      spdlog::debug("http client: {} got status {}, retry {} of {} in {} ms", request.method,
                    result->status, attempt + 1, maxRetries, delay.count());
    } else {
      if (!isRetryableError(result.error())) return result;
      spdlog::debug("http client: {} failed with {}, retry {} of {} in {} ms", request.method,
                    core::errorName(result.error()), attempt + 1, maxRetries, delay.count());
    }
    std::this_thread::sleep_for(delay);
  }
}

}  // namespace authgate::net
