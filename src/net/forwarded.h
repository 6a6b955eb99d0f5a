// Which peers are believed when they say who the client is (server.trusted_proxies),
// and who the client is. X-Forwarded-For and Forwarded are unauthenticated input: a
// client that is not a configured proxy can write anything into them, so authgate only
// reads them from a trusted peer (RFC 7239 s8.1 discusses the same trust problem).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace authgate::net {

struct IpNetwork {
  boost::asio::ip::address address;  // masked to `prefix` bits
  unsigned prefix = 0;
};

// Parses "10.0.0.0/8", "fd00::/8" or a single address (a /32 or /128); false for
// anything else.
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

// The client of a request: the TCP peer, unless the peer is a trusted proxy; then the
// X-Forwarded-For chain (`chain`: every X-Forwarded-For line joined with ",") is read
// from the right, past every trusted proxy, and the first address that is not one is
// the client. An entry that is not an address stops the walk at the last good one.
boost::asio::ip::address clientAddress(const boost::asio::ip::address& peer,
                                       const TrustedProxies& trusted, std::string_view chain);

// The address as it appears in X-Forwarded-For: IPv4-mapped IPv6 as IPv4, IPv6 bare.
std::string forwardedAddress(const boost::asio::ip::address& peer);

// The address as a Forwarded "for" value (RFC 7239 s6): IPv4 bare, IPv6 quoted in
// brackets. `text`: forwardedAddress() of it.
std::string forwardedNode(std::string_view text);

}  // namespace authgate::net
