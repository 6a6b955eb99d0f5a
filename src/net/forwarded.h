// X-Forwarded-For / -Proto / -Host towards the upstream, and which peers are believed
// when they send their own (server.trusted_proxies). These headers are unauthenticated
// input: a client that is not a configured proxy can write anything into them, so
// authgate replaces them instead of extending them (RFC 7239 s8.1 discusses the same
// trust problem for Forwarded).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace authgate::gateway {

struct IpNetwork {
  boost::asio::ip::address address;  // masked to `prefix` bits
  unsigned prefix = 0;
};

// Parses "10.0.0.0/8", "fd00::/8" or a single address (a /32 or /128). nullopt-like
// false return for anything else.
bool parseIpNetwork(std::string_view text, IpNetwork& out);

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Entries that do not parse are skipped and appended to `bad` (config validation
  // reports them already; skipping trusts less, never more).
  static TrustedProxies parse(const std::vector<std::string>& entries,
                              std::vector<std::string>* bad = nullptr);
  // IPv4-mapped IPv6 peers (::ffff:a.b.c.d) are compared as IPv4.
  bool contains(const boost::asio::ip::address& peer) const;
  bool empty() const { return networks_.empty(); }

 private:
  std::vector<IpNetwork> networks_;
};

struct ForwardedHeaders {
  std::string forwarded_for;  // X-Forwarded-For
  std::string proto;          // X-Forwarded-Proto
  std::string host;           // X-Forwarded-Host
};

struct IncomingForwarded {
  std::string_view forwarded_for;  // all X-Forwarded-For lines joined with ", "
  std::string_view proto;
  std::string_view host;
  std::string_view host_header;  // the request's Host
};

// What authgate sends upstream. From a trusted peer the incoming chain is kept and
// the peer appended; from anyone else every incoming value is replaced by what
// authgate saw itself: the peer address, `ownScheme` ("http": authgate serves plain
// HTTP) and the Host header. A proto other than http/https is never passed on.
ForwardedHeaders forwardedHeaders(const boost::asio::ip::address& peer, bool peerTrusted,
                                  const IncomingForwarded& incoming, std::string_view ownScheme);

// The address as it appears in X-Forwarded-For: IPv4-mapped IPv6 as IPv4, IPv6 bare.
std::string forwardedAddress(const boost::asio::ip::address& peer);

}  // namespace authgate::gateway
