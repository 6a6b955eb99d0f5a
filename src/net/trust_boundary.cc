#include "net/trust_boundary.h"

#include "authgate/core/codec.h"
#include "net/upstream.h"

namespace authgate::net {

namespace {

// The engine's text of an address, or the address formatted here when a caller left
// it empty.
std::string textOf(std::string_view text, const boost::asio::ip::address& a) {
  return text.empty() ? forwardedAddress(a) : std::string(text);
}

template <class F>
void forEachToken(std::string_view list, F&& f) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = core::trimOws(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// The fields every proxy drops (RFC 9110 s7.6.1) plus Expect, which authgate answers.
bool isHopByHop(http::field f) {
  switch (f) {
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::te:
    case http::field::trailer:
    case http::field::transfer_encoding:
    case http::field::proxy_authorization:
    case http::field::proxy_authenticate:
    case http::field::upgrade:
      return true;
    default:
      return false;
  }
}

char normalizedChar(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  return c == '_' ? '-' : c;
}

// normalizedHeaderName() without allocating for names of the usual lengths: it runs for
// every field of every forwarded request.
class Normalized {
 public:
  explicit Normalized(std::string_view name) {
    char* out = small_;
    if (name.size() > sizeof small_) {
      big_.resize(name.size());
      out = big_.data();
    }
    for (std::size_t i = 0; i < name.size(); ++i) out[i] = normalizedChar(name[i]);
    view_ = std::string_view(out, name.size());
  }
  Normalized(const Normalized&) = delete;
  Normalized& operator=(const Normalized&) = delete;
  std::string_view view() const { return view_; }

 private:
  char small_[64];
  std::string big_;
  std::string_view view_;
};

// The names of the fields listed in Connection (themselves hop-by-hop), lower-case.
std::vector<std::string> connectionNamed(const http::fields& h) {
  std::vector<std::string> named;
  auto range = h.equal_range(http::field::connection);
  for (auto it = range.first; it != range.second; ++it) {
    forEachToken(it->value(),
                 [&](std::string_view t) { named.push_back(normalizedHeaderName(t)); });
  }
  return named;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  for (const auto& e : v) {
    if (e == s) return true;
  }
  return false;
}

// Always protected: the engine writes these itself.
bool isForwardingHeader(std::string_view normalized) {
  return normalized == "forwarded" || normalized == "x-real-ip" ||
         normalized.starts_with("x-forwarded-");
}

bool isProtected(const ForwardPolicy& p, std::string_view normalized) {
  if (isForwardingHeader(normalized)) return true;
  for (const auto& prefix : p.protected_prefixes) {
    if (normalized.starts_with(prefix)) return true;
  }
  return contains(p.protected_names, normalized);
}

void appendList(std::string& out, std::string_view value) {
  value = core::trimOws(value);
  if (value.empty()) return;
  if (!out.empty()) out += ", ";
  out += value;
}

std::string hostOnly(std::string_view authority) {
  // For Forwarded host=, which carries host[:port] quoted when it has a ':'.
  std::string v(authority);
  if (v.find_first_of(":[]") != std::string::npos) v = "\"" + v + "\"";
  return v;
}

// host[:port] as a proxy may pass it on: letters, digits and the few characters of
// names, IPv6 literals and ports; nothing that could smuggle a list or a parameter.
bool isHostValue(std::string_view v) {
  if (v.empty() || v.size() > 255) return false;
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string normalizedHeaderName(std::string_view name) {
  std::string out(name);
  for (auto& c : out) c = normalizedChar(c);
  return out;
}

bool isUpgradeRequest(const http::fields& h) {
  if (h.find(http::field::upgrade) == h.end()) return false;
  bool found = false;
  auto range = h.equal_range(http::field::connection);
  for (auto it = range.first; it != range.second; ++it) {
    forEachToken(it->value(),
                 [&](std::string_view t) { found = found || core::asciiIEquals(t, "upgrade"); });
  }
  return found;
}

std::string removeCookies(std::string_view header, const std::vector<std::string>& names) {
  std::string out;
  while (!header.empty()) {
    auto semi = header.find(';');
    auto item = core::trimOws(header.substr(0, semi));
    auto eq = item.find('=');
    const auto name = core::trimOws(item.substr(0, eq));
    const bool ours = eq != std::string_view::npos && contains(names, name);
    if (!item.empty() && !ours) {
      if (!out.empty()) out += "; ";
      out += item;
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return out;
}

void prepareUpstreamRequest(http::request_header<>& h, const ForwardPolicy& policy,
                            const ForwardDecision& d, const Upstream& up, const RequestContext& ctx,
                            bool upgrade, bool chunked) {
  const auto& peer = ctx.remote;
  const bool trustedPeer = !policy.trusted.empty() && policy.trusted.contains(peer);
  const auto named = connectionNamed(h);
  std::string xff;        // incoming X-Forwarded-For chain (trusted peers only)
  std::string forwarded;  // incoming Forwarded elements (trusted peers only)
  std::string proto;      // incoming X-Forwarded-Proto (trusted peers only)
  std::string host;       // incoming X-Forwarded-Host (trusted peers only)
  std::string cookies;    // every Cookie line without authgate's cookies
  bool hasHost = false;
  for (auto it = h.begin(); it != h.end();) {
    const auto name = it->name_string();
    const auto value = it->value();
    const auto f = it->name();
    bool drop = false;
    if (f == http::field::upgrade) {
      drop = !upgrade;
    } else if (isHopByHop(f) || f == http::field::expect) {
      drop = true;
    } else if (name.find('_') != std::string_view::npos && !policy.allow_underscores) {
      drop = true;
    } else if (f == http::field::host) {
      hasHost = true;
    } else if (f == http::field::content_length) {
      // Framing: never dropped, whatever Connection names.
    } else if (f == http::field::cookie) {
      // Several lines are joined with "; " (RFC 6265 s5.4), authgate's own removed.
      auto rest = removeCookies(value, policy.own_cookies);
      if (!rest.empty()) {
        if (!cookies.empty()) cookies += "; ";
        cookies += rest;
      }
      drop = true;
    } else if (f == http::field::authorization) {
      drop = !d.keep_authorization;
    } else {
      const Normalized n(name);
      const auto normalized = n.view();
      if (trustedPeer) {
        if (normalized == "x-forwarded-for") appendList(xff, value);
        if (normalized == "forwarded") appendList(forwarded, value);
        if (normalized == "x-forwarded-proto" && proto.empty()) proto = core::trimOws(value);
        if (normalized == "x-forwarded-host" && host.empty()) host = core::trimOws(value);
      }
      drop = isProtected(policy, normalized) || contains(named, normalized);
    }
    it = drop ? h.erase(it) : std::next(it);
  }
  if (!cookies.empty()) h.set(http::field::cookie, cookies);

  // Forwarding headers: what authgate saw, appended to a trusted peer's chains.
  const std::string self = textOf(ctx.remote_text, peer);
  if (!xff.empty()) xff += ", ";
  xff += self;
  h.set("X-Forwarded-For", xff);
  if (proto != "http" && proto != "https") proto = policy.public_scheme;
  h.set("X-Forwarded-Proto", proto);
  // The host the client used: a trusted proxy's word, else the route's configured host,
  // else the configured public URL's (never the client's own Host or X-Forwarded-Host,
  // which it can set to anything; a route's host is one the operator named).
  if (!isHostValue(host)) host.clear();
  const std::string_view fwdHost = !host.empty()               ? std::string_view(host)
                                   : !d.forwarded_host.empty() ? std::string_view(d.forwarded_host)
                                   : !policy.public_host.empty()
                                       ? std::string_view(policy.public_host)
                                       : std::string_view(h[http::field::host]);
  if (!fwdHost.empty()) h.set("X-Forwarded-Host", fwdHost);
  std::string element = "for=" + forwardedNode(self);
  if (!fwdHost.empty()) element += ";host=" + hostOnly(fwdHost);
  element += ";proto=" + proto;
  if (!forwarded.empty()) forwarded += ", ";
  forwarded += element;
  h.set(http::field::forwarded, forwarded);
  h.set("X-Real-IP", textOf(ctx.client_text, ctx.client));

  for (const auto& f : d.identity) h.set(f.name_string(), f.value());
  if (!hasHost) h.set(http::field::host, up.authority());
  h.target(up.target(h.target()));
  h.version(11);
  if (upgrade) h.set(http::field::connection, "Upgrade");
  if (chunked) h.set(http::field::transfer_encoding, "chunked");
}

void prepareClientResponse(http::response_header<>& h, unsigned version, bool keepAlive,
                           bool chunked) {
  const bool upgrade = h.result() == http::status::switching_protocols;
  const auto named = connectionNamed(h);
  for (auto it = h.begin(); it != h.end();) {
    const auto f = it->name();
    bool drop = false;
    if (f == http::field::upgrade) {
      drop = !upgrade;
    } else if (isHopByHop(f)) {
      drop = true;
    } else if (f != http::field::content_length && !named.empty()) {
      drop = contains(named, Normalized(it->name_string()).view());
    }
    it = drop ? h.erase(it) : std::next(it);
  }
  h.version(version);
  if (upgrade) {
    h.set(http::field::connection, "Upgrade");
    return;
  }
  // RFC 9112 s9.3: HTTP/1.1 is persistent unless it says close; 1.0 only when it says so.
  if (version >= 11 && !keepAlive) h.set(http::field::connection, "close");
  if (version < 11 && keepAlive) h.set(http::field::connection, "keep-alive");
  if (chunked) h.set(http::field::transfer_encoding, "chunked");
}

}  // namespace authgate::net
