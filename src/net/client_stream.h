// A client connection's byte stream: plain TCP, or TLS over TCP (server.tls, Asio SSL on
// OpenSSL). The connection and its forwarding phases read and write through it the same
// way either way; it meets Asio's AsyncReadStream and AsyncWriteStream.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <utility>
#include <variant>

namespace authgate::net {

class ClientStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using Tls = boost::asio::ssl::stream<Socket>;
  using executor_type = Socket::executor_type;

  explicit ClientStream(Socket socket) : stream_(std::move(socket)) {}
  // `context` is kept alive by the stream: a reload swaps the server's, not this one.
  ClientStream(Socket socket, std::shared_ptr<boost::asio::ssl::context> context)
      : context_(std::move(context)),
        stream_(std::in_place_type<Tls>, std::move(socket), *context_) {}

  bool tls() const { return std::holds_alternative<Tls>(stream_); }
  executor_type get_executor() { return socket().get_executor(); }
  // The TCP socket beneath: options, cancel, shutdown, close.
  Socket& socket() {
    if (auto* t = std::get_if<Tls>(&stream_)) return t->next_layer();
    return std::get<Socket>(stream_);
  }

  // The TLS server handshake; completes at once for plain TCP.
  template <class Handler>
  void asyncHandshake(Handler&& handler) {
    if (auto* t = std::get_if<Tls>(&stream_)) {
      t->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(handler));
      return;
    }
    boost::asio::post(get_executor(), [h = std::forward<Handler>(handler)]() mutable {
      h(boost::system::error_code{});
    });
  }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (auto* t = std::get_if<Tls>(&stream_)) {
      t->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      std::get<Socket>(stream_).async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (auto* t = std::get_if<Tls>(&stream_)) {
      t->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      std::get<Socket>(stream_).async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

 private:
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::variant<Socket, Tls> stream_;
};

}  // namespace authgate::net
