#include "net/upstream.h"

#include <boost/url/parse.hpp>
#include <charconv>

namespace authgate::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::unique_ptr<Upstream> Upstream::parse(std::string_view url, std::string* problem) {
  auto fail = [&](std::string why) -> std::unique_ptr<Upstream> {
    if (problem) *problem = std::move(why);
    return nullptr;
  };
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return fail("is not an absolute URL");
  if (u->scheme() != "http") return fail("only http:// upstreams are supported");
  if (u->has_query() || u->has_fragment()) return fail("must not have a query or fragment");
  if (u->has_userinfo()) return fail("must not carry credentials");
  auto up = std::make_unique<Upstream>();
  up->host_ = u->host_address();
  if (up->host_.empty()) return fail("has no host");
  up->port_ = u->has_port() ? std::string(u->port()) : "80";
  up->authority_ = std::string(u->encoded_host_and_port());
  up->connect_key_ = up->host_ + ' ' + up->port_;
  std::string path(u->encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  up->base_path_ = std::move(path);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(up->port_.data(), up->port_.data() + up->port_.size(), port);
  if (ec != std::errc() || end != up->port_.data() + up->port_.size() || port == 0 ||
      port > 65535) {
    return fail("has an invalid port");
  }
  boost::system::error_code aec;
  auto addr = asio::ip::make_address(up->host_, aec);
  if (!aec) up->literal_ = tcp::endpoint(addr, static_cast<std::uint16_t>(port));
  return up;
}

std::string Upstream::target(std::string_view clientTarget) const {
  std::string out;
  out.reserve(base_path_.size() + clientTarget.size());
  out += base_path_;
  out += clientTarget;
  return out;
}

std::optional<tcp::socket> UpstreamPool::take(const Upstream& up) {
  const auto now = std::chrono::steady_clock::now();
  for (auto i = idle_.size(); i-- > 0;) {
    if (idle_[i].key != up.connectKey()) continue;
    Idle e = std::move(idle_[i]);
    idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
    if (now - e.since >= maxIdle_) continue;
    // The socket is in non-blocking mode (put): an idle HTTP/1.1 connection has
    // nothing to read, so anything but would_block (EOF, data, an error) retires it.
    char c = 0;
    boost::system::error_code ec;
    e.socket.read_some(asio::buffer(&c, 1), ec);
    if (ec == asio::error::would_block) return std::move(e.socket);
  }
  return std::nullopt;
}

void UpstreamPool::put(const Upstream& up, tcp::socket socket) {
  boost::system::error_code ec;
  socket.non_blocking(true, ec);  // synchronous probes only; async operations unaffected
  if (ec) return;
  std::size_t mine = 0;
  std::size_t oldest = idle_.size();
  for (std::size_t i = 0; i < idle_.size(); ++i) {
    if (idle_[i].key != up.connectKey()) continue;
    if (mine++ == 0) oldest = i;
  }
  if (mine >= max_ && oldest < idle_.size()) {
    idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(oldest));
  }
  idle_.push_back(Idle{up.connectKey(), std::move(socket), std::chrono::steady_clock::now()});
}

}  // namespace authgate::net
