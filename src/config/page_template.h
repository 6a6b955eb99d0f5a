// A page template: HTML with `{{name}}` variables and `{{#name}}...{{/name}}` sections,
// nothing else (docs/PAGES.md "Templates"). Every variable is HTML-escaped when it is
// written; there is no raw output, no expression, no include and no code, so a template
// can only place the values authgate hands it. Each page declares the names it offers
// (a PageSchema); a template using any other name is refused when it is parsed, which
// is at start-up (config validation), never while serving.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace authgate::config {

// The names a page offers: text variables, and lists whose items have names of their
// own (inside `{{#list}}` both the item's and the outer names are visible).
struct PageSchema {
  std::set<std::string, std::less<>> text;
  std::map<std::string, PageSchema, std::less<>> lists;
};

// The values of one rendering, shaped like the schema.
struct PageValues {
  std::map<std::string, std::string, std::less<>> text;
  std::map<std::string, std::vector<PageValues>, std::less<>> lists;
};

class PageTemplate {
 public:
  // Larger templates are refused: a page is small.
  static constexpr std::size_t kMaxBytes = 64 * 1024;

  // nullopt with `problem` set ("line 3: unknown variable {{user_name}}") when the text
  // uses a name the schema does not offer, nests sections wrongly, or uses any other
  // tag than {{name}}, {{#name}}, {{^name}} and {{/name}}.
  static std::optional<PageTemplate> parse(std::string_view text, const PageSchema& schema,
                                           std::string* problem);

  // Text variables are written HTML-escaped (& < > " '), so they are safe in element
  // content and in quoted attribute values. {{#name}} repeats its body for each item of
  // a list, or writes it once when a text variable is not empty; {{^name}} writes its
  // body when the list has no items or the text is empty. A name without a value is "".
  std::string render(const PageValues& values) const;

  struct Node;

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
};

}  // namespace authgate::config
