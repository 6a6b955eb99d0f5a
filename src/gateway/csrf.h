// The checks on a form post of authgate's own pages (logout, the sessions page): the
// browser must not say it comes from another site (requestSite, web.h), and the form
// must carry the token of this session's page for this purpose. The token is derived
// from the session cookie (256 random bits the page's reader never sees: HttpOnly), so
// another site can neither read nor guess it, and it dies with the session.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/web.h"

namespace authgate::gateway {

// Hex SHA-256 of "authgate-<purpose>-csrf\n<cookie>".
std::string formToken(std::string_view purpose, std::string_view sessionCookie);

enum class FormCheck {
  kOk,
  kForeign,   // Origin or Sec-Fetch-Site says another site (a sibling subdomain too)
  kBadToken,  // missing, or not this session's token for this purpose
};

// Values in, values out: `presented` is the form's csrf field (nullopt when absent).
FormCheck checkForm(RequestSite site, std::optional<std::string_view> presented,
                    std::string_view purpose, std::string_view sessionCookie);

}  // namespace authgate::gateway
