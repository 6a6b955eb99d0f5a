// A real net::Server on 127.0.0.1 port 0 in the test process, and a plain POSIX client
// with receive timeouts, so tests see exactly the bytes on the wire.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "authgate/core/metrics.h"
#include "gateway/health.h"
#include "gateway/metrics_route.h"
#include "gateway/router.h"
#include "net/server.h"

namespace authgate::net::testing {

// Collects formatted log lines.
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::string line(buf.data(), buf.size());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    lines_.push_back(std::move(line));
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

class Client {
 public:
  explicit Client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // The next complete response, or nothing on EOF/timeout/garbage.
  std::optional<HttpResponse> read() {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(16 * 1024 * 1024);
    for (;;) {
      if (!buf_.empty()) {
        boost::beast::error_code ec;
        auto n = parser.put(boost::asio::buffer(buf_), ec);
        buf_.erase(0, n);
        if (ec && ec != http::error::need_more) return std::nullopt;
        if (parser.is_done()) return parser.release();
        if (n > 0 && !ec) continue;
      }
      if (!fill()) return std::nullopt;
    }
  }

  // True when the server closes the connection (EOF or reset) before the timeout.
  bool waitClosed() {
    char c[4096];
    for (;;) {
      auto n = ::recv(fd_, c, sizeof c, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  bool fill() {
    char chunk[8192];
    auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

inline std::string get(std::string_view target, bool close = false) {
  std::string r = "GET ";
  r += target;
  r += " HTTP/1.1\r\nHost: test\r\n";
  if (close) r += "Connection: close\r\n";
  r += "\r\n";
  return r;
}

// Server with health, metrics and a few test routes, running on its own threads.
class TestServer {
 public:
  explicit TestServer(ServerOptions options = defaults()) {
    sink_ = std::make_shared<CaptureSink>();
    sink_->set_pattern("%v");
    log_ = std::make_shared<spdlog::logger>("test-access", sink_);
    options.access_log = log_;
    gateway::addHealthRoutes(router_, readiness_);
    gateway::addMetricsRoute(router_, metrics_);
    router_.get("/echo/{tag}", [](const Request& req, RequestContext& ctx) {
      return makeResponse(req, http::status::ok, std::string(ctx.param("tag")));
    });
    // Sleeps for {ms} on the worker pool, then answers with {tag}.
    router_.get(
        "/slow/{ms}/{tag}",
        [](const Request& req, RequestContext& ctx) {
          std::this_thread::sleep_for(
              std::chrono::milliseconds(std::stoi(std::string(ctx.param("ms")))));
          return makeResponse(req, http::status::ok, std::string(ctx.param("tag")));
        },
        gateway::RouteOptions{.blocking = true});
    router_.post("/upload", [](const Request& req, RequestContext&) {
      return makeResponse(req, http::status::ok, std::to_string(req.body().size()));
    });
    server_ = std::make_unique<Server>(std::move(options), router_, metrics_);
    auto started = server_->start();
    if (!started) throw std::runtime_error("start: " + started.error().message());
    thread_ = std::thread([this] { rc_ = server_->run(); });
  }

  ~TestServer() { stop(); }

  static ServerOptions defaults() {
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.threads = 2;
    o.blocking_threads = 2;
    o.read_timeout = std::chrono::milliseconds(1000);
    o.idle_timeout = std::chrono::milliseconds(1000);
    o.shutdown_grace = std::chrono::milliseconds(2500);
    o.handle_signals = false;
    return o;
  }

  // Drains and waits for run() to return; its exit code.
  int stop() {
    if (thread_.joinable()) {
      server_->drain();
      thread_.join();
    }
    return rc_;
  }
  // Waits for run() to return after a drain someone else started (e.g. SIGTERM).
  int join() {
    if (thread_.joinable()) thread_.join();
    return rc_;
  }

  std::uint16_t port() const { return server_->port(); }
  core::MetricsRegistry& metrics() { return metrics_; }
  std::vector<std::string> logLines() { return sink_->lines(); }

 private:
  core::MetricsRegistry metrics_;
  std::shared_ptr<gateway::Readiness> readiness_ = std::make_shared<gateway::Readiness>();
  gateway::Router router_;
  std::shared_ptr<CaptureSink> sink_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int rc_ = -1;
};

}  // namespace authgate::net::testing
