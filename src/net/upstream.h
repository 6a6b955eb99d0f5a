// Where forwarded requests go (an upstream: http://host[:port][/base/path]) and the
// idle keep-alive connections to upstreams that one I/O thread keeps for reuse.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authgate::net {

class Upstream {
 public:
  // nullptr (and `problem`) when the URL cannot be used. https upstreams are not
  // supported yet.
  static std::unique_ptr<Upstream> parse(std::string_view url, std::string* problem);

  const std::string& host() const { return host_; }            // name or IP literal
  const std::string& port() const { return port_; }            // "80" by default
  const std::string& basePath() const { return base_path_; }   // "" or "/base" (no trailing /)
  const std::string& authority() const { return authority_; }  // Host for requests without one
  // The address when the host is an IP literal (no resolver needed).
  const std::optional<boost::asio::ip::tcp::endpoint>& literal() const { return literal_; }
  // What makes two upstreams' connections interchangeable: host and port. Idle
  // connections are pooled by it, so they are reused across a reload that builds new
  // Upstream objects for the same address.
  const std::string& connectKey() const { return connect_key_; }
  // basePath() + the client's target ("/x?y" -> "/base/x?y").
  std::string target(std::string_view clientTarget) const;

 private:
  std::string host_;
  std::string port_;
  std::string base_path_;
  std::string authority_;
  std::string connect_key_;
  std::optional<boost::asio::ip::tcp::endpoint> literal_;
};

// Idle keep-alive upstream connections of one I/O thread. Used only from that thread
// (its io_context is single-threaded), so it takes no lock; a socket never changes
// thread. Most recently used first: the likeliest to be alive.
class UpstreamPool {
 public:
  UpstreamPool(std::size_t maxIdlePerUpstream, std::chrono::milliseconds maxIdle)
      : max_(maxIdlePerUpstream), maxIdle_(maxIdle) {}

  // A live idle connection to `up`, or nothing. A connection that has something to read
  // (the upstream closed it, or it is out of step) is dropped, never reused.
  std::optional<boost::asio::ip::tcp::socket> take(const Upstream& up);
  void put(const Upstream& up, boost::asio::ip::tcp::socket socket);
  void clear() { idle_.clear(); }

 private:
  struct Idle {
    std::string key;  // Upstream::connectKey()
    boost::asio::ip::tcp::socket socket;
    std::chrono::steady_clock::time_point since;
  };
  const std::size_t max_;
  const std::chrono::milliseconds maxIdle_;
  std::vector<Idle> idle_;
};

}  // namespace authgate::net
