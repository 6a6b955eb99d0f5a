#include "gateway/pages.h"

#include <boost/url/parse.hpp>

#include <cmath>
#include <mutex>
#include <stdexcept>

#include "gateway/web.h"

namespace authgate::gateway {
namespace {

// The head and header every built-in page shares. Contrast: the default colour on
// white is 6.3:1 and the text on it is chosen from black or white for the brand
// colour (WCAG 2.1 1.4.3); every control has a visible focus ring (2.4.7).
#define AUTHGATE_PAGE_HEAD                                                                       \
  "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"                            \
  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"                     \
  "<title>{{title}}{{#brand_name}} - {{brand_name}}{{/brand_name}}</title>"                      \
  "<style>:root{--brand:{{brand_color}};--on-brand:{{brand_text_color}}}"                        \
  "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;"       \
  "color:#1f1f1f;background:#fff;line-height:1.5}"                                               \
  "header{display:flex;align-items:center;gap:.75rem;border-bottom:4px solid var(--brand);"      \
  "padding-bottom:.5rem;margin-bottom:1.5rem;font-weight:600}header img{max-height:2.5rem}"      \
  "code{background:#f1f1f1;padding:0 .25em}a{color:#0b4db3}"                                     \
  "button{font:inherit;padding:.4rem 1rem;border:2px solid var(--brand);border-radius:.3rem;"    \
  "background:var(--brand);color:var(--on-brand);cursor:pointer}"                                \
  "button.quiet{background:#fff;color:#1f1f1f}"                                                  \
  "a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #1f1f1f;"          \
  "outline-offset:2px}input{font:inherit;padding:.35rem;border:1px solid #5f5f5f}"               \
  "ul.sessions{list-style:none;padding:0}li.session{border:1px solid #c4c4c4;"                   \
  "border-radius:.4rem;padding:.75rem 1rem;margin:.75rem 0}li.current{border:2px solid "         \
  "var(--brand)}li.session h2{font-size:1.05rem;margin:0}.badge{font-size:.85rem;"               \
  "background:var(--brand);color:var(--on-brand);padding:0 .4rem;border-radius:.3rem;"           \
  "margin-left:.5rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem;"          \
  "margin:.5rem 0}dt{color:#4a4a4a}dd{margin:0}.actions{display:flex;flex-wrap:wrap;"            \
  "gap:.75rem;margin:1.5rem 0}.notice{border-left:4px solid var(--brand);padding:.25rem .75rem;" \
  "background:#f5f5f5}.ref{color:#4a4a4a;font-size:.9rem}table{border-collapse:collapse;"        \
  "width:100%}caption{text-align:left;font-weight:600;margin:.75rem "                            \
  "0}th,td{text-align:left;padding:.3rem;border-bottom:1px solid #ddd}"                          \
  "</style></head><body>"                                                                        \
  "<header>{{#brand_logo_url}}<img src=\"{{brand_logo_url}}\" alt=\"{{brand_name}}\">"           \
  "{{/brand_logo_url}}{{^brand_logo_url}}{{brand_name}}{{/brand_logo_url}}</header><main>"

#define AUTHGATE_PAGE_FOOT "</main></body></html>\n"

constexpr std::string_view kError = AUTHGATE_PAGE_HEAD
    "<h1>{{title}}</h1><p>{{message}}</p>"
    "{{#provider_error}}<p>The sign-in service answered <code>{{provider_error}}</code>"
    "{{#provider_description}}: {{provider_description}}{{/provider_description}}</p>"
    "{{/provider_error}}"
    "{{#retry_url}}<p><a href=\"{{retry_url}}\">Try again</a></p>{{/retry_url}}"
    "{{#home_url}}<p><a href=\"{{home_url}}\">Back to the application</a></p>{{/home_url}}"
    "<p class=\"ref\">If this goes on, tell your support team this reference: "
    "<code id=\"request-id\">{{request_id}}</code> "
    "(<code>{{error_code}}</code>).</p>" AUTHGATE_PAGE_FOOT;

constexpr std::string_view kLogout = AUTHGATE_PAGE_HEAD
    "<h1>{{title}}</h1><p>Signed in as <b>{{user}}</b>.</p>"
    "<form method=\"post\" action=\"{{action_url}}\">"
    "<input type=\"hidden\" name=\"csrf\" value=\"{{csrf}}\">"
    "<button type=\"submit\" id=\"logout\">Sign out</button></form>"
    "<p><a href=\"{{sessions_url}}\">Your sessions on other devices</a></p>" AUTHGATE_PAGE_FOOT;

constexpr std::string_view kSignedOut = AUTHGATE_PAGE_HEAD
    "<h1>{{title}}</h1><p><a href=\"{{continue_url}}\">Continue</a></p>" AUTHGATE_PAGE_FOOT;

// One form per action, each with the session's CSRF token; no script anywhere.
#define AUTHGATE_FORM(action, extra, label, cls)                   \
  "<form method=\"post\" action=\"{{action_url}}\">"               \
  "<input type=\"hidden\" name=\"csrf\" value=\"{{csrf}}\">" extra \
  "<button type=\"submit\" name=\"action\" value=\"" action "\"" cls ">" label "</button></form>"

constexpr std::string_view kSessions = AUTHGATE_PAGE_HEAD
    "<h1>{{title}}</h1><p>Signed in as <b id=\"user\">{{user}}</b>. These are the devices "
    "where you are signed in.</p>"
    "{{#notice}}<p class=\"notice\" role=\"status\">{{notice}}</p>{{/notice}}"
    "<ul class=\"sessions\">{{#sessions}}"
    "<li class=\"session{{#current}} current{{/current}}\" data-session=\"{{id}}\">"
    "<h2>{{browser}} on {{device}}{{#current}}<span class=\"badge\">This device</span>"
    "{{/current}}</h2><dl><dt>IP address</dt><dd>{{ip}}</dd>"
    "<dt>Signed in</dt><dd><time datetime=\"{{created_iso}}\">{{created}}</time></dd>"
    "<dt>Last seen</dt><dd><time datetime=\"{{last_seen_iso}}\">{{last_seen}}</time></dd></dl>"
    "{{^current}}" AUTHGATE_FORM("revoke", "<input type=\"hidden\" name=\"id\" value=\"{{id}}\">",
                                 "Sign out {{browser}} on {{device}}", " class=\"quiet\"")
    "{{/current}}</li>{{/sessions}}</ul>"
    "<div class=\"actions\">"
    AUTHGATE_FORM("others", "", "Sign out all other sessions", " id=\"sign-out-others\"")
    AUTHGATE_FORM("everywhere", "", "Sign out everywhere", " id=\"sign-out-everywhere\"")
    "</div>"
    "{{#is_admin}}<section aria-labelledby=\"admin-title\"><h2 id=\"admin-title\">"
    "Sessions of a user</h2><form method=\"get\" action=\"{{action_url}}\" role=\"search\">"
    "<label for=\"admin-user\">Email address or subject</label> "
    "<input id=\"admin-user\" name=\"user\" value=\"{{admin_query}}\" required> "
    "<button type=\"submit\" id=\"admin-search\">Search</button></form>"
    "{{#admin_searched}}{{#admin_found}}<table id=\"admin-results\"><caption>Active sessions "
    "of {{admin_query}}</caption><thead><tr><th scope=\"col\">User</th><th scope=\"col\">Device"
    "</th><th scope=\"col\">IP address</th><th scope=\"col\">Last seen</th><th scope=\"col\">"
    "<span class=\"ref\">Action</span></th></tr></thead><tbody>"
    "{{#admin_results}}<tr><td>{{user}}</td><td>{{browser}} on {{device}}</td><td>{{ip}}</td>"
    "<td><time datetime=\"{{last_seen_iso}}\">{{last_seen}}</time></td><td>"
    AUTHGATE_FORM("revoke", "<input type=\"hidden\" name=\"id\" value=\"{{id}}\">"
                  "<input type=\"hidden\" name=\"user\" value=\"{{admin_query}}\">",
                  "Revoke", " class=\"quiet\" aria-label=\"Revoke {{browser}} on {{device}} of {{user}}\"")
    "</td></tr>{{/admin_results}}</tbody></table>{{/admin_found}}"
    "{{^admin_found}}<p role=\"status\">No active sessions for {{admin_query}}.</p>"
    "{{/admin_found}}{{/admin_searched}}</section>{{/is_admin}}"
    "<p><a href=\"{{logout_url}}\">Sign out of this device</a></p>"
    AUTHGATE_PAGE_FOOT;

#undef AUTHGATE_FORM
#undef AUTHGATE_PAGE_HEAD
#undef AUTHGATE_PAGE_FOOT

// Black or white, whichever reads better on `color` (#rgb / #rrggbb, already checked):
// WCAG 2.1 relative luminance.
std::string textColorOn(std::string_view color) {
  auto channel = [&](int i) {
    const std::string hex =
        color.size() == 4 ? std::string(2, color[1 + i]) : std::string(color.substr(1 + 2 * i, 2));
    const double c = std::stoi(hex, nullptr, 16) / 255.0;
    return c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  };
  const double l = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  // Contrast with white (1.05 / (l + 0.05)) against contrast with black ((l + 0.05) / 0.05).
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#ffffff" : "#000000";
}

std::mutex gPagesMutex;
std::shared_ptr<const Pages> gPages;  // guarded by gPagesMutex
thread_local std::string_view tRequestId;

}  // namespace

std::string_view builtinTemplate(std::string_view name) {
  if (name == "error") return kError;
  if (name == "logout") return kLogout;
  if (name == "signed_out") return kSignedOut;
  if (name == "sessions") return kSessions;
  return {};
}

std::shared_ptr<const Pages> Pages::make(const config::PagesSettings& settings,
                                         std::vector<std::string>* problems) {
  auto pages = std::make_shared<Pages>();
  for (const auto& spec : config::pageCatalogue()) {
    std::string problem;
    auto t = config::PageTemplate::parse(builtinTemplate(spec.name), spec.schema, &problem);
    // The built-in pages are part of the program: a unit test parses every one.
    if (!t) throw std::logic_error("built-in page " + std::string(spec.name) + ": " + problem);
    pages->templates_.insert_or_assign(std::string(spec.name), std::move(*t));
  }
  if (!settings.templates_dir.empty()) {
    auto loaded = config::loadPageTemplates(settings.templates_dir);
    if (!loaded.problems.empty()) {
      *problems = std::move(loaded.problems);
      return nullptr;
    }
    for (auto& [name, t] : loaded.pages) pages->templates_.insert_or_assign(name, std::move(t));
  }
  auto brand = [&](const char* key) {
    auto it = settings.brand.find(key);
    return it == settings.brand.end() ? std::string() : it->second;
  };
  const auto color = brand("color").empty() ? std::string("#1a56db") : brand("color");
  pages->brand_ = {{"brand_name", brand("name")},
                   {"brand_logo_url", brand("logo_url")},
                   {"brand_color", color},
                   {"brand_text_color", textColorOn(color)}};
  std::string img = "'self'";
  const auto logo = brand("logo_url");  // the view below points into it
  if (auto u = boost::urls::parse_absolute_uri(logo)) {
    img += " https://" + std::string(u->encoded_host_and_port());
  }
  // No script source at all, and no form-action: browsers apply it to the redirects
  // after a form post too, and the logout form must redirect to the provider.
  pages->csp_ = "default-src 'none'; style-src 'unsafe-inline'; img-src " + img +
                "; frame-ancestors 'none'; base-uri 'none'";
  return pages;
}

net::Response Pages::render(const net::Request& req, net::http::status status,
                            std::string_view name, config::PageValues values) const {
  for (const auto& [k, v] : brand_) values.text.insert_or_assign(k, v);
  values.text.insert_or_assign("request_id", std::string(currentRequestId()));
  std::string html;
  if (auto it = templates_.find(name); it != templates_.end()) html = it->second.render(values);
  auto res = net::makeResponse(req, status, std::move(html), "text/html; charset=utf-8");
  setSecurityHeaders(res);
  res.set("Content-Security-Policy", csp_);
  return res;
}

void installPages(std::shared_ptr<const Pages> pages) {
  std::lock_guard lock(gPagesMutex);
  gPages = std::move(pages);
}

std::shared_ptr<const Pages> currentPages() {
  {
    std::lock_guard lock(gPagesMutex);
    if (gPages) return gPages;
  }
  static const std::shared_ptr<const Pages> builtin = [] {
    std::vector<std::string> problems;
    return Pages::make({}, &problems);
  }();
  return builtin;
}

RequestIdScope::RequestIdScope(std::string_view id) : previous_(tRequestId) { tRequestId = id; }
RequestIdScope::~RequestIdScope() { tRequestId = previous_; }
std::string_view currentRequestId() { return tRequestId; }

}  // namespace authgate::gateway
