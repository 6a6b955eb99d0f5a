#include "net/http.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffer_traits.hpp>

namespace authgate::net {

namespace {
template <class Writer>
void copyHeader(std::string& out, Writer& w) {
  const auto bufs = w.get();
  out.resize(boost::beast::buffer_bytes(bufs));
  boost::asio::buffer_copy(boost::asio::buffer(out.data(), out.size()), bufs);
}
}  // namespace

void serializeHeader(std::string& out, const http::request_header<>& h) {
  http::fields::writer w(h, h.version(), h.method());
  copyHeader(out, w);
}

void serializeHeader(std::string& out, const http::response_header<>& h) {
  http::fields::writer w(h, h.version(), h.result_int());
  copyHeader(out, w);
}

Response makeResponse(const Request& req, http::status status, std::string body,
                      std::string_view content_type) {
  Response res{status, req.version()};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

}  // namespace authgate::net
