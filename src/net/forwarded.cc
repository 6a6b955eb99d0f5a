#include "gateway/forwarded.h"

#include <array>
#include <charconv>

namespace authgate::gateway {

namespace ip = boost::asio::ip;

namespace {

ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  }
  return a;
}

template <std::size_t N>
std::array<unsigned char, N> masked(std::array<unsigned char, N> bytes, unsigned prefix) {
  for (std::size_t i = 0; i < N; ++i) {
    const unsigned bitsBefore = static_cast<unsigned>(i * 8);
    if (prefix >= bitsBefore + 8) continue;
    const unsigned keep = prefix > bitsBefore ? prefix - bitsBefore : 0;
    bytes[i] = static_cast<unsigned char>(bytes[i] & (0xff00U >> keep));
  }
  return bytes;
}

ip::address maskAddress(const ip::address& a, unsigned prefix) {
  if (a.is_v4()) return ip::address_v4(masked(a.to_v4().to_bytes(), prefix));
  return ip::address_v6(masked(a.to_v6().to_bytes(), prefix));
}

bool validProto(std::string_view p) { return p == "http" || p == "https"; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool parseIpNetwork(std::string_view text, IpNetwork& out) {
  text = trim(text);
  auto slash = text.find('/');
  boost::system::error_code ec;
  auto addr = ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) return false;
  addr = unmapped(addr);
  const unsigned maxBits = addr.is_v4() ? 32 : 128;
  unsigned prefix = maxBits;
  if (slash != std::string_view::npos) {
    auto bits = text.substr(slash + 1);
    auto [end, err] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (bits.empty() || err != std::errc() || end != bits.data() + bits.size() ||
        prefix > maxBits) {
      return false;
    }
  }
  out.address = maskAddress(addr, prefix);
  out.prefix = prefix;
  return true;
}

TrustedProxies TrustedProxies::parse(const std::vector<std::string>& entries,
                                     std::vector<std::string>* bad) {
  TrustedProxies t;
  for (const auto& e : entries) {
    IpNetwork n;
    if (parseIpNetwork(e, n)) {
      t.networks_.push_back(n);
    } else if (bad) {
      bad->push_back(e);
    }
  }
  return t;
}

bool TrustedProxies::contains(const ip::address& peer) const {
  const auto a = unmapped(peer);
  for (const auto& n : networks_) {
    if (n.address.is_v4() != a.is_v4()) continue;
    if (maskAddress(a, n.prefix) == n.address) return true;
  }
  return false;
}

std::string forwardedAddress(const ip::address& peer) { return unmapped(peer).to_string(); }

ForwardedHeaders forwardedHeaders(const ip::address& peer, bool peerTrusted,
                                  const IncomingForwarded& incoming, std::string_view ownScheme) {
  ForwardedHeaders out;
  const std::string self = forwardedAddress(peer);
  const auto chain = trim(incoming.forwarded_for);
  if (peerTrusted && !chain.empty()) {
    out.forwarded_for.reserve(chain.size() + 2 + self.size());
    out.forwarded_for.append(chain).append(", ").append(self);
  } else {
    out.forwarded_for = self;
  }
  const auto proto = trim(incoming.proto);
  out.proto = std::string(peerTrusted && validProto(proto) ? proto : ownScheme);
  const auto host = trim(incoming.host);
  out.host = std::string(peerTrusted && !host.empty() ? host : trim(incoming.host_header));
  return out;
}

}  // namespace authgate::gateway
