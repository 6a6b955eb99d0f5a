#include "net/forwarded.h"

#include <array>
#include <charconv>

#include "authgate/core/codec.h"

namespace authgate::net {

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

}  // namespace

bool parseIpNetwork(std::string_view text, IpNetwork& out) {
  text = core::trimOws(text);
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

std::string forwardedNode(std::string_view text) {
  if (text.find(':') == std::string_view::npos) return std::string(text);  // IPv4
  std::string node = "\"[";
  node += text;
  node += "]\"";
  return node;
}

ip::address clientAddress(const ip::address& peer, const TrustedProxies& trusted,
                          std::string_view chain) {
  ip::address client = unmapped(peer);
  if (trusted.empty() || !trusted.contains(client)) return client;
  // Right to left: each hop appended the address it saw; stop at the first one that
  // is not a proxy we trust.
  while (!chain.empty()) {
    auto comma = chain.rfind(',');
    auto item = core::trimOws(comma == std::string_view::npos ? chain : chain.substr(comma + 1));
    chain = comma == std::string_view::npos ? std::string_view{} : chain.substr(0, comma);
    if (item.empty()) continue;
    boost::system::error_code ec;
    auto a = ip::make_address(std::string(item), ec);
    if (ec) break;
    client = unmapped(a);
    if (!trusted.contains(client)) break;
  }
  return client;
}

}  // namespace authgate::net
