// Small helpers every endpoint shares: reading cookies, telling a browser navigation
// from an API call, and answering with a redirect, JSON, or an error page that says what
// happened without echoing secrets.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authgate/core/codec.h"
#include "config/page_template.h"
#include "net/http.h"

namespace authgate::gateway {

using net::Request;
using net::Response;
namespace http = net::http;

// The value of cookie `name`: the first well-formed pair with that name in the Cookie
// headers (core::findCookie; malformed pairs of other cookies are skipped).
std::optional<std::string> cookieValue(const Request& req, std::string_view name);

// Query parameters of the request target; empty on malformed encoding.
core::Params queryParams(std::string_view query);

// A browser navigation (Accept has text/html and it is not fetch/XHR) gets redirects and
// HTML pages; everything else gets 401 JSON (docs/PROTECT.md "Redirect or 401").
bool isBrowserNavigation(const Request& req);
// The client asked for JSON (Accept: application/json, no text/html preference).
bool wantsJson(const Request& req);

// Where a state-changing request comes from, as the browser tells (a CSRF defence
// beside SameSite=Lax cookies). An Origin header decides when present: kOwn when it is
// one of `allowedOrigins`, else kForeign ("null" included). Otherwise Fetch Metadata:
// Sec-Fetch-Site same-origin or none (a typed URL) is kOwn, cross-site or same-site (a
// sibling subdomain, which still gets Lax cookies) is kForeign. Neither header (an old
// browser, a script, curl): kUnknown.
enum class RequestSite { kOwn, kForeign, kUnknown };
RequestSite requestSite(const Request& req, const std::vector<std::string>& allowedOrigins);

// Headers on every response authgate itself writes: no caching of personal or
// protocol data, no sniffing, no referrer leaks, no framing.
void setSecurityHeaders(Response& res);

Response redirect(const Request& req, std::string_view location);
Response jsonResponse(const Request& req, http::status status, const boost::json::object& body);

// What an error page may show besides its title and message (docs/PAGES.md "error").
struct ErrorPageExtras {
  bool home_link = true;  // "Back to the application" (not when the application is down)
  std::string retry_url;  // "Try again"
  // The provider's own error and words: only for a callback whose state matched a
  // login this instance started (anyone can send a browser to the callback).
  std::string provider_error;
  std::string provider_description;
  // For the log only, with the request id the page shows: what an operator needs to
  // fix it (a setting's name, the reason). Never a token, code or cookie.
  std::string operator_detail;
};

// An error page (the "error" page of gateway/pages.h, or JSON when asked) with a stable
// machine code and plain words for the person reading it. Logged with the request id
// the page shows. `detail` must never hold a token, code or cookie.
Response errorPage(const Request& req, http::status status, std::string_view code,
                   std::string_view title, std::string_view detail = {},
                   const ErrorPageExtras& extras = {});

// Page `name` of the catalogue (config/pages.h) with the pages in use.
Response renderPage(const Request& req, http::status status, std::string_view name,
                    config::PageValues values);

// The client IP for audit records and limits: the TCP peer, or behind a trusted proxy
// the client it names (net/forwarded.h clientAddress).
std::string clientIp(const net::RequestContext& ctx);
std::string userAgent(const Request& req);

}  // namespace authgate::gateway
