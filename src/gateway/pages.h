// authgate's own HTML pages: the built-in templates, or those of pages.templates_dir,
// rendered with the brand (docs/PAGES.md). Every page gets the same headers: no caching,
// no framing, and a CSP without any script source (default-src 'none'), so no page can
// run a script, whatever a template contains.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/pages.h"
#include "net/http.h"

namespace authgate::gateway {

class Pages {
 public:
  // The built-in pages, each replaced by its template of settings.templates_dir when
  // there is one. nullptr with `problems` set when a template does not load (config
  // validation refuses those first; this only sees a file changed since).
  static std::shared_ptr<const Pages> make(const config::PagesSettings& settings,
                                           std::vector<std::string>* problems);

  // Page `name` of the catalogue (config/pages.h) with `values`, plus the variables
  // every page has (brand_*, request_id: the running request's, see RequestIdScope).
  net::Response render(const net::Request& req, net::http::status status, std::string_view name,
                       config::PageValues values) const;

  // The Content-Security-Policy of every page: nothing but styles and the images of
  // this site and of the logo's origin.
  const std::string& contentSecurityPolicy() const { return csp_; }

 private:
  std::map<std::string, config::PageTemplate, std::less<>> templates_;
  std::map<std::string, std::string, std::less<>> brand_;  // brand_* values
  std::string csp_;
};

// The built-in template of a page of the catalogue.
std::string_view builtinTemplate(std::string_view name);

// The pages in use. Until installPages() (unit tests), the built-in pages without a
// brand. Thread-safe; a reload installs new ones and requests in flight keep theirs.
void installPages(std::shared_ptr<const Pages> pages);
std::shared_ptr<const Pages> currentPages();

// The id of the request a handler on this thread is answering, so that every page can
// show it and a log line carry it (set by the router around each handler).
class RequestIdScope {
 public:
  explicit RequestIdScope(std::string_view id);
  ~RequestIdScope();
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;

 private:
  std::string_view previous_;
};
std::string_view currentRequestId();

}  // namespace authgate::gateway
