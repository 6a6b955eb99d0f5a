// Fuzzes the request path at the trust boundary: raw client bytes through Beast's parser,
// the framing checks (net/framing.h) and the upstream-head rules (net/trust_boundary.h)
// to the bytes authgate would send upstream, then the rest of the input through the body
// parser (trailers included). Asserts, whatever the input:
//   - the upstream head re-parses strictly and passes the framing checks itself;
//   - every identity header in it is authgate's, exactly once: no X-Auth-Request-*,
//     Authorization, Forwarded, X-Real-IP or X-Forwarded-* value of the client's
//     survives, whatever its case, '_' spelling or place (header or trailer);
//   - no hop-by-hop field and no name with '_' (unless allowed) reaches the upstream.
// The first input byte picks the policy: bit 0 allows '_' names, bit 1 makes the peer a
// trusted proxy, bit 2 keeps a validated Authorization.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/forwarded.h"
#include "net/framing.h"
#include "net/trust_boundary.h"
#include "net/upstream.h"

namespace {

using namespace authgate;
namespace http = net::http;

constexpr std::string_view kUser = "fuzz|user";
constexpr std::string_view kEmail = "fuzz@example.com";
constexpr std::string_view kToken = "Bearer validated";

void check(bool ok) {
  if (!ok) std::abort();
}

const net::Upstream& upstream() {
  static const auto up = net::Upstream::parse("http://127.0.0.1:8080/base", nullptr);
  return *up;
}

bool isOurs(std::string_view normalized) {
  return normalized.starts_with("x-auth-request-") || normalized == "authorization" ||
         normalized == "forwarded" || normalized == "x-real-ip" ||
         normalized.starts_with("x-forwarded-");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

  http::request_parser<http::string_body> head;
  head.header_limit(16 * 1024);
  head.body_limit(boost::none);
  boost::system::error_code ec;
  const auto n = head.put(boost::asio::buffer(in.data(), in.size()), ec);
  if (ec || !head.is_header_done()) return 0;
  if (net::checkRequestFraming(head.get().base(), in.substr(0, n)) != net::FramingError::kNone) {
    return 0;  // answered 400 by the engine, nothing forwarded
  }

  net::ForwardPolicy policy;
  policy.public_scheme = "https";
  policy.public_host = "app.example.com";
  policy.protected_prefixes = {"x-auth-request-"};
  policy.own_cookies = {"authgate", "authgate_txn"};
  policy.allow_underscores = (mode & 1) != 0;
  if ((mode & 2) != 0) policy.trusted = net::TrustedProxies::parse({"10.0.0.0/8"});
  net::ForwardDecision decision;
  decision.upstream = &upstream();
  decision.identity.set("X-Auth-Request-User", kUser);
  decision.identity.set("X-Auth-Request-Email", kEmail);
  decision.keep_authorization = (mode & 4) != 0;
  if (decision.keep_authorization) head.get().set(http::field::authorization, kToken);

  const auto peer = boost::asio::ip::make_address((mode & 2) != 0 ? "10.0.0.2" : "203.0.113.9");
  std::string chain;
  for (auto& f : head.get()) {
    if (net::normalizedHeaderName(f.name_string()) == "x-forwarded-for") {
      chain += std::string(f.value()) + ",";
    }
  }
  net::RequestContext ctx;
  ctx.remote = peer;
  ctx.client = net::clientAddress(peer, policy.trusted, chain);
  ctx.remote_text = net::forwardedAddress(ctx.remote);
  ctx.client_text = net::forwardedAddress(ctx.client);
  const bool chunked = head.chunked();
  const bool upgrade = net::isUpgradeRequest(head.get());
  net::prepareUpstreamRequest(head.get().base(), policy, decision, upstream(), ctx, upgrade,
                              chunked);
  std::string wire;
  net::serializeHeader(wire, head.get().base());

  // The body, trailers and all, is parsed after the head went out; it must change nothing.
  http::request_parser<http::buffer_body> body(std::move(head));
  std::string_view rest = in.substr(n);
  char buf[512];
  while (!body.is_done() && !rest.empty()) {
    body.get().body().data = buf;
    body.get().body().size = sizeof buf;
    const auto used = body.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(used);
    if (ec == http::error::need_buffer) ec = {};
    if (ec || used == 0) break;
  }

  http::request_parser<http::empty_body> again;
  again.header_limit(64 * 1024);
  // As the upstream sees a forwarded body: no limit of authgate's (a Content-Length
  // beyond Beast's default 1 MiB is the upstream's to refuse, and still a valid head).
  again.body_limit(boost::none);
  again.put(boost::asio::buffer(wire), ec);
  check(!ec && again.is_header_done());
  const auto& out = again.get();
  check(net::checkRequestFraming(out.base(), wire) == net::FramingError::kNone);
  std::size_t users = 0, emails = 0, xff = 0;
  for (const auto& f : out) {
    const auto name = f.name_string();
    const auto normalized = net::normalizedHeaderName(name);
    check(policy.allow_underscores || name.find('_') == std::string_view::npos);
    for (auto hop : {"connection", "keep-alive", "proxy-connection", "te", "trailer",
                     "proxy-authorization", "expect"}) {
      check(normalized != hop || (normalized == "connection" && upgrade));
    }
    if (!isOurs(normalized)) continue;
    if (normalized == "x-auth-request-user") {
      check(f.value() == kUser && name == "X-Auth-Request-User");
      ++users;
    } else if (normalized == "x-auth-request-email") {
      check(f.value() == kEmail && name == "X-Auth-Request-Email");
      ++emails;
    } else if (normalized == "authorization") {
      check(decision.keep_authorization && f.value() == kToken);
    } else if (normalized == "x-forwarded-for") {
      ++xff;
    } else {
      // Only the names authgate writes itself, never a client's other member of a family.
      check(name == "X-Forwarded-Proto" || name == "X-Forwarded-Host" || name == "Forwarded" ||
            name == "X-Real-IP");
    }
  }
  check(users == 1 && emails == 1 && xff == 1);
  return 0;
}
