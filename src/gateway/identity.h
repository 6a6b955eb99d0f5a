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

// Sets the identity headers of `s` on any header container (request to the upstream or
// /auth/check response). Tokens only when the settings ask for them.
template <class Fields>
void setIdentityHeaders(Fields& h, const session::Session& s, const config::UpstreamSettings& up) {
  setIdentityHeader(h, "X-Auth-Request-User", s.subject);
  setIdentityHeader(h, "X-Auth-Request-Email", s.email);
  const auto& preferred = s.preferredUsername.empty() ? s.email : s.preferredUsername;
  setIdentityHeader(h, "X-Auth-Request-Preferred-Username", preferred);
  setIdentityHeader(h, "X-Auth-Request-Session", s.publicId);
  if (up.pass_access_token && !s.tokens.accessToken.empty()) {
    h.set(net::http::field::authorization, "Bearer " + s.tokens.accessToken.reveal());
  }
  if (up.pass_id_token && !s.tokens.idToken.empty()) {
    h.set("X-Auth-Request-Id-Token", s.tokens.idToken.reveal());
  }
}

}  // namespace authgate::gateway
