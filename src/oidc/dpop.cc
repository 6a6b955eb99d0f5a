#include "authgate/oidc/dpop.h"

#include <boost/url/parse.hpp>

#include "authgate/core/base64url.h"
#include "authgate/core/crypto.h"
#include "oidc/json_util.h"

namespace authgate::oidc {
namespace {

bool isTchar(char c) {
  // RFC 9110 s5.6.2
  auto u = static_cast<unsigned char>(c);
  if (u >= '0' && u <= '9') return true;
  if ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A cursor over a WWW-Authenticate value; every read fails closed.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool done() const { return i >= s.size(); }
  void ows() {
    while (!done() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  std::optional<std::string_view> token() {
    const std::size_t start = i;
    while (!done() && isTchar(s[i])) ++i;
    if (i == start) return std::nullopt;
    return s.substr(start, i - start);
  }
  // A token68 or token value, or a quoted-string with its escapes undone.
  std::optional<std::string> value() {
    if (done()) return std::nullopt;
    if (s[i] != '"') {
      auto t = token();
      if (!t) return std::nullopt;
      return std::string(*t);
    }
    std::string out;
    for (++i; !done(); ++i) {
      char c = s[i];
      if (c == '"') {
        ++i;
        return out;
      }
      if (c == '\\') {
        if (++i >= s.size()) return std::nullopt;
        c = s[i];
      }
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return std::nullopt;
      out.push_back(c);
    }
    return std::nullopt;  // unterminated
  }
};

}  // namespace

std::optional<std::string> dpopHtu(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);  // RFC 3986 URI: a fragment may follow
  if (!parsed) return std::nullopt;
  auto scheme = detail::asciiLower(parsed->scheme());
  if ((scheme != "http" && scheme != "https") || parsed->encoded_host().empty()) {
    return std::nullopt;
  }
  const auto cut = url.find_first_of("?#");
  return std::string(url.substr(0, cut));
}

boost::json::object dpopPublicJwk(const jose::SigningKey& key) {
  boost::json::object jwk;
  for (const char* name : {"kty", "crv", "x", "y", "n", "e"}) {
    if (const auto* v = key.publicJwk.if_contains(name)) jwk[name] = *v;
  }
  return jwk;
}

std::string dpopJkt(const jose::SigningKey& key) { return jose::jwkThumbprint(dpopPublicJwk(key)); }

std::string dpopAccessTokenHash(const core::Secret& accessToken) {
  auto digest = core::sha256(accessToken.reveal());
  return core::base64urlEncode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

Result<core::Secret> buildDpopProof(const jose::SigningKey& key, const DpopProofRequest& req) {
  auto htu = dpopHtu(req.url);
  if (!htu || req.method.empty() || req.jti.empty()) return Errc::kDpopProofFailed;
  boost::json::object header;
  header["typ"] = kDpopProofType;
  header["jwk"] = dpopPublicJwk(key);
  boost::json::object claims;
  claims["jti"] = req.jti;
  claims["htm"] = req.method;
  claims["htu"] = *htu;
  claims["iat"] = req.iat;
  if (!req.nonce.empty()) claims["nonce"] = req.nonce;
  if (req.access_token != nullptr) claims["ath"] = dpopAccessTokenHash(*req.access_token);
  auto jwt = jose::signCompactJws(key, std::move(header), claims, jose::KidHeader::kOmit);
  if (!jwt) return Errc::kDpopProofFailed;
  return core::Secret(std::move(*jwt));
}

std::optional<std::string> parseDpopNonce(std::string_view v) {
  if (v.empty() || v.size() > kMaxDpopNonceBytes) return std::nullopt;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    const bool nqchar = u == 0x21 || (u >= 0x23 && u <= 0x5b) || (u >= 0x5d && u <= 0x7e);
    if (!nqchar) return std::nullopt;
  }
  return std::string(v);
}

std::optional<std::string> challengeParam(std::string_view header, std::string_view scheme,
                                          std::string_view param) {
  Cursor c{header};
  bool inScheme = false;  // the params being read belong to `scheme`
  bool first = true;
  while (true) {
    c.ows();
    if (c.done()) return std::nullopt;
    if (!first) {
      if (header[c.i] != ',') return std::nullopt;
      ++c.i;
      c.ows();
      if (c.done()) return std::nullopt;  // a trailing comma
    }
    first = false;
    if (header[c.i] == ',') continue;  // an empty list element (RFC 9110 s5.6.1)
    auto name = c.token();
    if (!name) return std::nullopt;
    const std::size_t afterName = c.i;
    c.ows();
    if (!c.done() && header[c.i] == '=') {  // an auth-param of the current challenge
      ++c.i;
      c.ows();
      auto value = c.value();
      if (!value) return std::nullopt;
      if (inScheme && detail::iequals(*name, param)) return value;
      continue;
    }
    // A new challenge: `name` is its scheme, maybe followed by a first auth-param or a
    // token68 after one or more spaces.
    inScheme = detail::iequals(*name, scheme);
    if (c.done() || header[c.i] == ',') continue;
    if (c.i == afterName) return std::nullopt;  // no space after the scheme
    auto pname = c.token();
    if (!pname) return std::nullopt;
    c.ows();
    if (c.done() || header[c.i] != '=') {
      continue;  // a token68 (Basic's, Bearer's): no parameter of interest
    }
    ++c.i;
    c.ows();
    // token68 may end in '=' padding: "abc==" then a comma or the end.
    if (c.done() || header[c.i] == ',' || header[c.i] == '=') {
      while (!c.done() && header[c.i] == '=') ++c.i;
      continue;
    }
    auto value = c.value();
    if (!value) return std::nullopt;
    if (inScheme && detail::iequals(*pname, param)) return value;
  }
}

bool isUseDpopNonceError(int httpStatus, std::string_view body,
                         std::optional<std::string_view> wwwAuthenticate) {
  if (httpStatus == 400) {
    auto o = detail::parseObject(body);
    if (!o) return false;
    auto e = detail::getString(*o, "error");
    return e && *e == "use_dpop_nonce";
  }
  if (httpStatus == 401 && wwwAuthenticate) {
    auto e = challengeParam(*wwwAuthenticate, "DPoP", "error");
    return e && *e == "use_dpop_nonce";
  }
  return false;
}

}  // namespace authgate::oidc
