// `pages:`: what authgate's own pages look like (docs/PAGES.md). The brand (name, logo,
// colour) and a folder of templates that replace any page. The page catalogue (each
// page's file name and the variables it offers) lives here too, so that a template with
// an unknown variable is refused by config validation, with its file and variable named.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/page_template.h"

namespace authgate::config {

struct PagesSettings {
  // A folder of <page>.html files (error.html, logout.html, signed_out.html,
  // sessions.html); each one present replaces that page. "": the built-in pages.
  std::string templates_dir;
  // name (shown in titles and headers), logo_url (https:// or a path on this site),
  // color (#rgb or #rrggbb). Other keys are refused.
  std::map<std::string, std::string> brand;
};

// One page authgate writes.
struct PageSpec {
  std::string_view name;  // "error": the template is <templates_dir>/error.html
  PageSchema schema;      // the variables it offers (docs/PAGES.md lists them)
};

// Every page, in the order docs/PAGES.md lists them.
std::span<const PageSpec> pageCatalogue();
const PageSpec* findPage(std::string_view name);

struct LoadedTemplates {
  std::map<std::string, PageTemplate, std::less<>> pages;  // by page name
  std::vector<std::string> problems;  // "<file>: line 3: unknown variable {{x}}"
};

// Reads and parses the templates of `dir`: every *.html file must be a page of the
// catalogue, a regular file inside `dir` (a symlink may not lead out of it), and
// parse against the page's schema.
LoadedTemplates loadPageTemplates(const std::string& dir);

// "" when valid, else why: logo_url must be https:// (or a path on this site), color
// #rgb / #rrggbb.
std::string brandLogoProblem(std::string_view url);
std::string brandColorProblem(std::string_view color);

}  // namespace authgate::config
