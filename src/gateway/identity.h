// The identity headers authgate sends upstream and answers /auth/check with. Incoming
// copies never reach an upstream: the engine removes the whole X-Auth-Request-* family,
// whatever the case or '_' spelling (gateway/proxy.cc forwardOptions).
#pragma once

#include <array>
#include <string_view>

#include "authgate/session/session.h"
#include "config/config.h"
#include "net/http.h"

namespace authgate::gateway {

inline constexpr std::array<std::string_view, 5> kIdentityHeaders = {
    "X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Preferred-Username",
    "X-Auth-Request-Session", "X-Auth-Request-Id-Token"};

// A header value that cannot split or extend the header block: no control characters
// other than HTAB (RFC 9110 s5.5), no DEL. Beast writes field values as given, and a
// claim (name, email, username) is text the provider or its user chose.
inline bool isSafeHeaderValue(std::string_view v) {
  for (unsigned char c : v) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// Sets `name` only when `value` is non-empty and safe; an unsafe claim is left out
// rather than altered, so one identity can never be made to look like another.
template <class Fields>
void setIdentityHeader(Fields& h, std::string_view name, std::string_view value) {
  if (!value.empty() && isSafeHeaderValue(value)) h.set(name, value);
}

// Which identity headers go out (a route's identity_headers and pass_* settings, or
// upstream.*'s for /auth/check and the single upstream).
struct IdentityOptions {
  bool user = true;
  bool email = true;
  bool preferred_username = true;
  bool session = true;
  bool pass_access_token = false;
  bool pass_id_token = false;

  static IdentityOptions of(const config::UpstreamSettings& up) {
    IdentityOptions o;
    o.pass_access_token = up.pass_access_token;
    o.pass_id_token = up.pass_id_token;
    return o;
  }
  static IdentityOptions of(const config::RouteSettings& r) {
    IdentityOptions o;
    auto has = [&](std::string_view n) {
      for (const auto& h : r.identity_headers) {
        if (h == n) return true;
      }
      return false;
    };
    o.user = has("user");
    o.email = has("email");
    o.preferred_username = has("preferred_username");
    o.session = has("session");
    o.pass_access_token = r.pass_access_token;
    o.pass_id_token = r.pass_id_token;
    return o;
  }
};

// Sets the identity headers of `s` on any header container (request to the upstream or
// /auth/check response). Tokens only when the options ask for them.
template <class Fields>
void setIdentityHeaders(Fields& h, const session::Session& s, const IdentityOptions& o) {
  if (o.user) setIdentityHeader(h, "X-Auth-Request-User", s.subject);
  if (o.email) setIdentityHeader(h, "X-Auth-Request-Email", s.email);
  const auto& preferred = s.preferredUsername.empty() ? s.email : s.preferredUsername;
  if (o.preferred_username) setIdentityHeader(h, "X-Auth-Request-Preferred-Username", preferred);
  if (o.session) setIdentityHeader(h, "X-Auth-Request-Session", s.publicId);
  if (o.pass_access_token && !s.tokens.accessToken.empty()) {
    h.set(net::http::field::authorization, "Bearer " + s.tokens.accessToken.reveal());
  }
  if (o.pass_id_token && !s.tokens.idToken.empty()) {
    h.set("X-Auth-Request-Id-Token", s.tokens.idToken.reveal());
  }
}

}  // namespace authgate::gateway
