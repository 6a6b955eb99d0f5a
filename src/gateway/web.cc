#include "gateway/web.h"

#include <boost/json/serialize.hpp>

#include <spdlog/spdlog.h>

#include "authgate/oidc/return_to.h"
#include "gateway/pages.h"

namespace authgate::gateway {

std::optional<std::string> cookieValue(const Request& req, std::string_view name) {
  // Several Cookie headers are read in order, as HTTP/2 proxies may split them (RFC
  // 6265 s5.4); the first well-formed pair with the name wins.
  auto [begin, end] = req.equal_range(http::field::cookie);
  for (auto it = begin; it != end; ++it) {
    if (auto v = core::findCookie(it->value(), name)) return std::string(*v);
  }
  return std::nullopt;
}

core::Params queryParams(std::string_view query) {
  auto params = core::formDecode(query);
  if (!params) return {};
  return std::move(*params);
}

namespace {
bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}
}  // namespace

bool isBrowserNavigation(const Request& req) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) return false;
  if (auto mode = req["Sec-Fetch-Mode"]; !mode.empty() && mode != "navigate") return false;
  if (req["X-Requested-With"] == "XMLHttpRequest") return false;
  return contains(req[http::field::accept], "text/html");
}

bool wantsJson(const Request& req) {
  auto accept = req[http::field::accept];
  return contains(accept, "application/json") && !contains(accept, "text/html");
}

void setSecurityHeaders(Response& res) {
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on our own
  // form posts (logout), which the Origin check must refuse. Nothing leaks cross-site.
  res.set("Referrer-Policy", "same-origin");
  res.set("X-Frame-Options", "DENY");
}

Response redirect(const Request& req, std::string_view location) {
  Response res{http::status::found, req.version()};
  res.set(http::field::location, location);
  setSecurityHeaders(res);
  return res;
}

Response jsonResponse(const Request& req, http::status status, const boost::json::object& body) {
  auto res =
      net::makeResponse(req, status, boost::json::serialize(body) + "\n", "application/json");
  setSecurityHeaders(res);
  return res;
}

Response renderPage(const Request& req, http::status status, std::string_view name,
                    config::PageValues values) {
  return currentPages()->render(req, status, name, std::move(values));
}

Response errorPage(const Request& req, http::status status, std::string_view code,
                   std::string_view title, std::string_view detail, const ErrorPageExtras& extras) {
  // The operator's side: the request id the page shows ties this line to it.
  const auto id = currentRequestId();
  if (!extras.operator_detail.empty()) {
    spdlog::warn("request {}: {} {}: {}", id.empty() ? "-" : id, static_cast<unsigned>(status),
                 code, extras.operator_detail);
  } else {
    spdlog::info("request {}: {} {}", id.empty() ? "-" : id, static_cast<unsigned>(status), code);
  }
  // Browsers (navigations and form posts) ask for text/html; API clients get JSON.
  if (wantsJson(req) || !contains(req[http::field::accept], "text/html")) {
    boost::json::object body{{"error", code}, {"message", title}};
    if (!detail.empty()) body["detail"] = detail;
    return jsonResponse(req, status, body);
  }
  config::PageValues v;
  v.text = {{"title", std::string(title)},
            {"message", std::string(detail.empty() ? title : detail)},
            {"error_code", std::string(code)},
            {"home_url", extras.home_link ? "/" : ""},
            {"retry_url", extras.retry_url},
            {"provider_error", extras.provider_error},
            {"provider_description", extras.provider_description}};
  return renderPage(req, status, "error", std::move(v));
}

std::string clientIp(const net::RequestContext& ctx) {
  if (!ctx.client_text.empty()) return ctx.client_text;
  return ctx.client.is_unspecified() ? ctx.remote.to_string() : ctx.client.to_string();
}

RequestSite requestSite(const Request& req, const std::vector<std::string>& allowedOrigins) {
  if (auto origin = req[http::field::origin]; !origin.empty()) {
    auto normalized = oidc::normalizeOrigin(origin);
    if (!normalized) return RequestSite::kForeign;
    for (const auto& allowed : allowedOrigins) {
      if (*normalized == allowed) return RequestSite::kOwn;
    }
    return RequestSite::kForeign;
  }
  auto site = req["Sec-Fetch-Site"];
  if (site.empty()) return RequestSite::kUnknown;
  return site == "same-origin" || site == "none" ? RequestSite::kOwn : RequestSite::kForeign;
}

std::string userAgent(const Request& req) {
  return std::string(req[http::field::user_agent].substr(0, 256));
}

}  // namespace authgate::gateway
