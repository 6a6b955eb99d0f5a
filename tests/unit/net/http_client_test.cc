// CurlHttpClient against a real local server (tests/tooling/client_test_server.mjs) on
// 127.0.0.1 port 0: timeouts, size cap, TLS verification, retries, connection reuse and
// the proxy environment.
#include "net/http_client.h"

#include "authgate/oidc/token.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace authgate::net {

// What CurlHttpClient implements: the library's HTTP client interface.
using rp::Errc;
using rp::HttpRequest;
using rp::HttpResponse;
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using oidc::basicAuthorization;  // the one implementation (RFC 6749 s2.3.1)

// One node process running the test server. Stopped by PID in the destructor; it also
// exits by itself when its stdin pipe closes, i.e. when this test process dies.
class TestServer {
 public:
  explicit TestServer(std::vector<std::string> extraArgs = {}) {
    int in[2];
    int out[2];
    if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    std::vector<std::string> argv{"node", AUTHGATE_CLIENT_TEST_SERVER};
    argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, "node", &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("could not start node");
    }
    port_ = readPort();
  }

  ~TestServer() {
    if (stdin_ >= 0) close(stdin_);
    if (stdout_ >= 0) close(stdout_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  std::string http(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::string https(std::string_view path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

 private:
  int readPort() {
    std::string line;
    const auto deadline = Clock::now() + 10s;
    while (line.find('\n') == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{stdout_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        throw std::runtime_error("test server did not report its port");
      }
      char buf[256];
      const ssize_t n = read(stdout_, buf, sizeof buf);
      if (n <= 0) throw std::runtime_error("test server exited early");
      line.append(buf, static_cast<size_t>(n));
    }
    return static_cast<int>(boost::json::parse(line).at("port").as_int64());
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  int port_ = 0;
};

// A self-signed certificate in a temporary directory, made with the openssl CLI.
class TempCert {
 public:
  explicit TempCert(std::string_view subjectAltName = "IP:127.0.0.1") {
    std::string tmpl = (std::filesystem::temp_directory_path() / "authgate-client-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
        " -subj /CN=authgate-test -addext subjectAltName=" +
        std::string(subjectAltName) + " -keyout " + key() + " -out " + cert() + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl failed");
  }
  ~TempCert() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempCert(const TempCert&) = delete;
  TempCert& operator=(const TempCert&) = delete;

  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string key() const { return (dir_ / "key.pem").string(); }

 private:
  std::filesystem::path dir_;
};

// A port that refuses connections: bound, never listening, held for the test's life.
class DeadPort {
 public:
  DeadPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("could not reserve a port");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~DeadPort() { close(fd_); }
  DeadPort(const DeadPort&) = delete;
  DeadPort& operator=(const DeadPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

constexpr const char* kProxyVars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                      "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};

class CurlHttpClientTest : public ::testing::Test {
 protected:
  // The machine's proxy settings must not leak into loopback tests, and proxy tests
  // must not leak into the next test when the binary runs all tests in one process.
  void SetUp() override { clearProxyEnv(); }
  void TearDown() override { clearProxyEnv(); }
  static void clearProxyEnv() {
    for (const char* v : kProxyVars) unsetenv(v);
  }

  static ClientOptions fast() {
    ClientOptions o;
    o.retry_backoff = 10ms;
    o.user_agent = "authgate-test";
    return o;
  }

  static std::string header(const HttpResponse& r, std::string_view name) {
    auto v = r.header(name);
    return v ? std::string(*v) : std::string("<none>");
  }

  static long elapsedMs(Clock::time_point start) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  }
};

TEST_F(CurlHttpClientTest, GetReturnsStatusLowerCasedHeadersAndBody) {
  TestServer server;
  CurlHttpClient client(fast());
  auto r = client.send(HttpRequest::get(server.http("/ok")));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(header(*r, "x-mixed-case"), "Value");
  EXPECT_EQ(header(*r, "content-type"), "text/plain");
  EXPECT_FALSE(r->header("X-Mixed-Case")) << "lookups use lower-case names";
}

TEST_F(CurlHttpClientTest, PostSendsFormBodyHeadersAndUserAgent) {
  TestServer server;
  CurlHttpClient client(fast());
  auto req = HttpRequest::postForm(server.http("/echo"), "grant_type=authorization_code&code=x");
  req.headers.emplace_back("Authorization",
                           basicAuthorization("s6BhdRkqt3", core::Secret("gX1fBat3bV")).reveal());
  auto r = client.send(req);
  ASSERT_TRUE(r) << core::errorName(r.error());
  ASSERT_EQ(r->status, 200);
  auto echo = boost::json::parse(r->body).as_object();
  EXPECT_EQ(echo.at("method").as_string(), "POST");
  EXPECT_EQ(echo.at("body").as_string(), "grant_type=authorization_code&code=x");
  const auto& h = echo.at("headers").as_object();
  EXPECT_EQ(h.at("content-type").as_string(), "application/x-www-form-urlencoded");
  EXPECT_EQ(h.at("authorization").as_string(), "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW");
  EXPECT_EQ(h.at("user-agent").as_string(), "authgate-test");
  EXPECT_FALSE(h.contains("expect"));
}

TEST_F(CurlHttpClientTest, TimesOutOnSlowServer) {
  TestServer server;
  auto o = fast();
  o.total_timeout = 300ms;
  o.max_retries = 0;
  CurlHttpClient client(o);
  const auto start = Clock::now();
  auto r = client.send(HttpRequest::get(server.http("/sleep?ms=5000")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kTimeout);
  EXPECT_EQ(core::errorName(r.error()), "timeout");
  EXPECT_LT(elapsedMs(start), 2000);
}

TEST_F(CurlHttpClientTest, PerRequestTimeoutOverridesClientDefault) {
  TestServer server;
  auto o = fast();
  o.max_retries = 0;
  CurlHttpClient client(o);  // default total timeout: 10 s
  auto req = HttpRequest::get(server.http("/sleep?ms=5000"));
  req.timeout = 200ms;
  const auto start = Clock::now();
  auto r = client.send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kTimeout);
  EXPECT_LT(elapsedMs(start), 2000);
}

TEST_F(CurlHttpClientTest, DefaultsAreThreeSecondConnectAndTenSecondTotal) {
  const ClientOptions o;
  EXPECT_EQ(o.connect_timeout, 3s);
  EXPECT_EQ(o.total_timeout, 10s);
  EXPECT_EQ(o.max_response_bytes, 1024u * 1024u);
  EXPECT_TRUE(o.ca_file.empty());
}

TEST_F(CurlHttpClientTest, RejectsAnnouncedBodyOverCap) {
  TestServer server;
  auto o = fast();
  o.max_response_bytes = 1000;
  CurlHttpClient client(o);
  auto r = client.send(HttpRequest::get(server.http("/big?bytes=5000")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kResponseTooLarge);
}

TEST_F(CurlHttpClientTest, RejectsChunkedBodyOverCapWhileReading) {
  TestServer server;
  auto o = fast();
  o.max_response_bytes = 64 * 1024;
  CurlHttpClient client(o);
  auto r = client.send(HttpRequest::get(server.http("/big?bytes=300000&announce=0")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kResponseTooLarge);
}

TEST_F(CurlHttpClientTest, AcceptsBodyExactlyAtCap) {
  TestServer server;
  auto o = fast();
  o.max_response_bytes = 64 * 1024;
  CurlHttpClient client(o);
  for (const char* announce : {"1", "0"}) {
    auto r = client.send(
        HttpRequest::get(server.http("/big?bytes=65536&announce=" + std::string(announce))));
    ASSERT_TRUE(r) << announce << ": " << core::errorName(r.error());
    EXPECT_EQ(r->body.size(), 65536u);
  }
}

TEST_F(CurlHttpClientTest, HeadIgnoresContentLengthOfTheBodyItDoesNotReceive) {
  TestServer server;
  auto o = fast();
  o.max_response_bytes = 1000;
  CurlHttpClient client(o);
  HttpRequest req = HttpRequest::get(server.http("/big?bytes=5000"));
  req.method = "HEAD";
  auto r = client.send(req);
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(header(*r, "content-length"), "5000");
  EXPECT_TRUE(r->body.empty());
}

TEST_F(CurlHttpClientTest, TlsFailsOnSelfSignedCertificate) {
  TempCert cert;
  TestServer server({"--cert", cert.cert(), "--key", cert.key()});
  auto o = fast();
  o.max_retries = 0;
  CurlHttpClient client(o);
  auto r = client.send(HttpRequest::get(server.https("/ok")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kTlsFailure);
}

TEST_F(CurlHttpClientTest, TlsSucceedsWhenCertificateIsInCustomCaFile) {
  TempCert cert;
  TestServer server({"--cert", cert.cert(), "--key", cert.key()});
  auto o = fast();
  o.ca_file = cert.cert();
  CurlHttpClient client(o);
  auto r = client.send(HttpRequest::get(server.https("/ok")));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
}

TEST_F(CurlHttpClientTest, TlsFailsOnHostNameMismatchEvenWithTrustedCa) {
  TempCert cert("DNS:someone-else.invalid");
  TestServer server({"--cert", cert.cert(), "--key", cert.key()});
  auto o = fast();
  o.ca_file = cert.cert();
  o.max_retries = 0;
  CurlHttpClient client(o);
  auto r = client.send(HttpRequest::get(server.https("/ok")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kTlsFailure);
}

TEST_F(CurlHttpClientTest, UnreadableCaFileIsReported) {
  TempCert cert;
  TestServer server({"--cert", cert.cert(), "--key", cert.key()});
  auto o = fast();
  o.ca_file = "/nonexistent/authgate-ca.pem";
  o.max_retries = 0;
  CurlHttpClient client(o);
  auto r = client.send(HttpRequest::get(server.https("/ok")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kBadCaFile);
}

TEST_F(CurlHttpClientTest, ReusesKeepAliveConnection) {
  TestServer server;
  CurlHttpClient client(fast());
  std::vector<std::string> ports;
  for (int i = 0; i < 5; ++i) {
    auto r = client.send(HttpRequest::get(server.http("/ok")));
    ASSERT_TRUE(r) << core::errorName(r.error());
    ports.push_back(header(*r, "x-remote-port"));
    EXPECT_EQ(header(*r, "x-conn-count"), "1") << "request " << i << " opened a new connection";
  }
  for (const auto& p : ports) EXPECT_EQ(p, ports.front());
}

TEST_F(CurlHttpClientTest, ReusesTlsConnection) {
  TempCert cert;
  TestServer server({"--cert", cert.cert(), "--key", cert.key()});
  auto o = fast();
  o.ca_file = cert.cert();
  CurlHttpClient client(o);
  for (int i = 0; i < 3; ++i) {
    auto r = client.send(HttpRequest::get(server.https("/ok")));
    ASSERT_TRUE(r) << core::errorName(r.error());
    EXPECT_EQ(header(*r, "x-conn-count"), "1");
  }
}

TEST_F(CurlHttpClientTest, ThreadsShareAPoolOfConnections) {
  TestServer server;
  CurlHttpClient client(fast());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  std::vector<int> maxConn(kThreads, 0);
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = client.send(HttpRequest::get(server.http("/ok")));
        if (!r || r->status != 200) {
          ++failures[static_cast<size_t>(t)];
          continue;
        }
        maxConn[static_cast<size_t>(t)] =
            std::max(maxConn[static_cast<size_t>(t)], std::stoi(header(*r, "x-conn-count")));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[static_cast<size_t>(t)], 0);
    // At most one connection per concurrently busy handle, not one per request.
    EXPECT_LE(maxConn[static_cast<size_t>(t)], kThreads);
  }
}

TEST_F(CurlHttpClientTest, RetriesGetOn503) {
  TestServer server;
  CurlHttpClient client(fast());
  auto r = client.send(HttpRequest::get(server.http("/flaky?key=g&fail=1")));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(header(*r, "x-attempt"), "2");
}

TEST_F(CurlHttpClientTest, GivesUpAfterMaxRetriesAndReturnsLastResponse) {
  TestServer server;
  auto o = fast();
  o.max_retries = 2;
  CurlHttpClient client(o);
  auto r = client.send(HttpRequest::get(server.http("/flaky?key=g&fail=10")));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(header(*r, "x-attempt"), "3");
}

TEST_F(CurlHttpClientTest, NeverRetriesPostOn503) {
  TestServer server;
  CurlHttpClient client(fast());
  auto r = client.send(HttpRequest::postForm(server.http("/flaky?key=p&fail=1"), "code=once"));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(header(*r, "x-attempt"), "1");
}

TEST_F(CurlHttpClientTest, NeverRetriesPostOnTimeoutButRetriesGet) {
  TestServer server;
  auto o = fast();
  o.total_timeout = 150ms;
  o.max_retries = 2;
  CurlHttpClient client(o);
  auto post = client.send(HttpRequest::postForm(server.http("/sleep?ms=3000&key=p"), "code=x"));
  ASSERT_FALSE(post);
  EXPECT_EQ(post.error(), Errc::kTimeout);
  auto get = client.send(HttpRequest::get(server.http("/sleep?ms=3000&key=g")));
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error(), Errc::kTimeout);

  CurlHttpClient counter(fast());
  auto postHits = counter.send(HttpRequest::get(server.http("/hits?key=p")));
  auto getHits = counter.send(HttpRequest::get(server.http("/hits?key=g")));
  ASSERT_TRUE(postHits && getHits);
  EXPECT_EQ(postHits->body, "1");
  EXPECT_EQ(getHits->body, "3");
}

TEST_F(CurlHttpClientTest, ExplicitlyIdempotentPostIsRetried) {
  TestServer server;
  CurlHttpClient client(fast());
  auto req = HttpRequest::postForm(server.http("/flaky?key=p&fail=1"), "x=1");
  req.idempotent = true;
  auto r = client.send(req);
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 200);
}

TEST_F(CurlHttpClientTest, HonoursRetryAfterSeconds) {
  TestServer server;
  CurlHttpClient client(fast());  // own backoff: 10 ms
  const auto start = Clock::now();
  auto r = client.send(HttpRequest::get(server.http("/flaky?key=g&fail=1&retry_after=1")));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_GE(elapsedMs(start), 1000);
}

TEST_F(CurlHttpClientTest, RetryAfterAboveCapReturnsTheResponseAtOnce) {
  TestServer server;
  CurlHttpClient client(fast());  // max_retry_after: 5 s
  const auto start = Clock::now();
  auto r = client.send(HttpRequest::get(server.http("/flaky?key=g&fail=1&retry_after=120")));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(header(*r, "x-attempt"), "1");
  EXPECT_LT(elapsedMs(start), 1000);
}

TEST_F(CurlHttpClientTest, ConnectionRefusedIsConnectFailed) {
  DeadPort dead;
  CurlHttpClient client(fast());
  auto r = client.send(HttpRequest::get("http://127.0.0.1:" + std::to_string(dead.port()) + "/"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kConnectFailed);
}

TEST_F(CurlHttpClientTest, ReturnsRedirectsWithoutFollowing) {
  TestServer server;
  CurlHttpClient client(fast());
  auto r = client.send(HttpRequest::get(server.http("/redirect")));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(header(*r, "location"), "/ok");
}

TEST_F(CurlHttpClientTest, RejectsSchemesOtherThanHttpAndHttps) {
  CurlHttpClient client(fast());
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/",
                          "dict://127.0.0.1/", "", "http://exa mple.com/"}) {
    auto r = client.send(HttpRequest::get(url));
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error(), Errc::kBadUrl) << url << ": " << core::errorName(r.error());
  }
}

TEST_F(CurlHttpClientTest, RejectsHeaderInjectionAndBadMethods) {
  CurlHttpClient client(fast());
  struct Case {
    const char* method;
    const char* name;
    const char* value;
  };
  for (const Case& c : {Case{"GET", "X-A", "v\r\nEvil: 1"}, Case{"GET", "X-A", "v\nx"},
                        Case{"GET", "Bad Name", "v"}, Case{"GET", "", "v"},
                        Case{"GE T", "X-A", "v"}, Case{"", "X-A", "v"}}) {
    HttpRequest req = HttpRequest::get("http://127.0.0.1:1/");
    req.method = c.method;
    req.headers.emplace_back(c.name, c.value);
    auto r = client.send(req);
    ASSERT_FALSE(r) << c.method << " " << c.name;
    EXPECT_EQ(r.error(), Errc::kBadRequest) << c.method << " " << c.name;
  }
}

TEST_F(CurlHttpClientTest, HttpProxyFromEnvironmentIsUsed) {
  TestServer proxy;
  // libcurl reads only the lower-case http_proxy for http:// URLs (an upper-case
  // HTTP_PROXY could be set by a CGI "Proxy:" request header).
  setenv("http_proxy", proxy.http("").c_str(), 1);
  CurlHttpClient client(fast());
  // The host does not exist: only a proxy can answer this.
  auto r = client.send(HttpRequest::get("http://provider.authgate-test.invalid/ok"));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(header(*r, "x-proxied"), "1");
}

TEST_F(CurlHttpClientTest, NoProxyBypassesTheProxy) {
  TestServer server;
  DeadPort deadProxy;
  setenv("http_proxy", ("http://127.0.0.1:" + std::to_string(deadProxy.port())).c_str(), 1);
  auto o = fast();
  o.max_retries = 0;
  CurlHttpClient client(o);

  auto viaDeadProxy = client.send(HttpRequest::get(server.http("/ok")));
  ASSERT_FALSE(viaDeadProxy);
  EXPECT_EQ(viaDeadProxy.error(), Errc::kConnectFailed);

  setenv("NO_PROXY", "127.0.0.1", 1);
  auto direct = client.send(HttpRequest::get(server.http("/ok")));
  ASSERT_TRUE(direct) << core::errorName(direct.error());
  EXPECT_EQ(direct->status, 200);
  EXPECT_FALSE(direct->header("x-proxied"));
}

TEST_F(CurlHttpClientTest, UpperCaseHttpProxyIsIgnoredForHttpUrls) {
  // Documented libcurl behaviour (docs/HTTP_CLIENT.md): only http_proxy applies to http://.
  TestServer server;
  DeadPort deadProxy;
  setenv("HTTP_PROXY", ("http://127.0.0.1:" + std::to_string(deadProxy.port())).c_str(), 1);
  auto o = fast();
  o.max_retries = 0;
  CurlHttpClient client(o);
  auto r = client.send(HttpRequest::get(server.http("/ok")));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 200);
}

TEST_F(CurlHttpClientTest, HttpsProxyTunnelsTlsWithVerification) {
  TempCert cert;
  TestServer origin({"--cert", cert.cert(), "--key", cert.key()});
  TestServer proxy;
  setenv("HTTPS_PROXY", proxy.http("").c_str(), 1);
  auto o = fast();
  o.ca_file = cert.cert();
  CurlHttpClient client(o);
  auto r = client.send(HttpRequest::get(origin.https("/ok")));
  ASSERT_TRUE(r) << core::errorName(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_FALSE(r->header("x-proxied")) << "TLS is end to end, the proxy only tunnels";

  unsetenv("HTTPS_PROXY");
  auto stats = CurlHttpClient(fast()).send(HttpRequest::get(proxy.http("/stats")));
  ASSERT_TRUE(stats);
  EXPECT_EQ(boost::json::parse(stats->body).at("connects").as_int64(), 1);
}

TEST(BasicAuthorization, MatchesRfc6749Example) {
  // RFC 6749 s2.3.1.
  EXPECT_EQ(basicAuthorization("s6BhdRkqt3", core::Secret("gX1fBat3bV")).reveal(),
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW");
}

TEST(BasicAuthorization, FormEncodesIdAndSecretBeforeBase64) {
  // "client id" / "p:ss/wé" -> "client%20id:p%3Ass%2Fw%C3%A9", then base64.
  EXPECT_EQ(basicAuthorization("client id", core::Secret("p:ss/w\xC3\xA9")).reveal(),
            "Basic Y2xpZW50JTIwaWQ6cCUzQXNzJTJGdyVDMyVBOQ==");
}

TEST(RetryDelay, DoublesPerAttemptWithJitterBetweenHalfAndFull) {
  struct Case {
    int attempt;
    double jitter;
    long long expectMs;
  };
  for (const Case& c : {Case{1, 1.0, 200}, Case{1, 0.0, 100}, Case{2, 1.0, 400}, Case{3, 0.5, 600},
                        Case{3, 0.0, 400}, Case{1, 7.0, 200}, Case{0, 1.0, 200}}) {
    EXPECT_EQ(retryDelay(200ms, c.attempt, c.jitter).count(), c.expectMs)
        << "attempt " << c.attempt << " jitter " << c.jitter;
  }
}

TEST(ParseRetryAfter, AcceptsDelaySecondsOnly) {
  struct Case {
    const char* value;
    std::optional<long long> seconds;
  };
  for (const Case& c : {Case{"0", 0}, Case{"1", 1}, Case{" 120 ", 120}, Case{"", std::nullopt},
                        Case{"-1", std::nullopt}, Case{"1.5", std::nullopt},
                        Case{"Wed, 21 Oct 2015 07:28:00 GMT", std::nullopt},
                        Case{"99999999999999", std::nullopt}, Case{"12abc", std::nullopt}}) {
    auto r = parseRetryAfter(c.value);
    ASSERT_EQ(r.has_value(), c.seconds.has_value()) << c.value;
    if (r) {
      EXPECT_EQ(r->count(), *c.seconds) << c.value;
    }
  }
}

TEST(NetErrc, HasStableNamesAndMessagesWithoutData) {
  EXPECT_EQ(core::errorName(make_error_code(Errc::kTimeout)), "timeout");
  EXPECT_EQ(core::errorName(make_error_code(Errc::kResponseTooLarge)), "response_too_large");
  EXPECT_EQ(core::errorName(make_error_code(Errc::kTlsFailure)), "tls_failure");
  EXPECT_EQ(make_error_code(Errc::kConnectFailed).message(),
            "could not connect to the server or proxy");
}

}  // namespace
}  // namespace authgate::net
