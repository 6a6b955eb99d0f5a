#include "config/page_template.h"

#include <cctype>

#include "authgate/core/codec.h"

namespace authgate::config {

struct PageTemplate::Node {
  enum class Kind { kText, kVariable, kSection, kInverted };
  Kind kind = Kind::kText;
  std::string text;  // literal text, or the name
  std::vector<Node> children;
};

namespace {

using Node = PageTemplate::Node;

bool isNameChar(char c) {
  return std::islower(static_cast<unsigned char>(c)) ||
         std::isdigit(static_cast<unsigned char>(c)) || c == '_';
}

// The scopes visible at a point of the template, innermost last.
using Scopes = std::vector<const PageSchema*>;

bool knownText(const Scopes& scopes, std::string_view name) {
  for (const auto* s : scopes) {
    if (s->text.contains(name)) return true;
  }
  return false;
}

const PageSchema* knownList(const Scopes& scopes, std::string_view name) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    if (auto l = (*it)->lists.find(name); l != (*it)->lists.end()) return &l->second;
  }
  return nullptr;
}

class Parser {
 public:
  Parser(std::string_view text, const PageSchema& schema) : text_(text) {
    scopes_.push_back(&schema);
  }

  std::optional<std::vector<Node>> run(std::string* problem) {
    std::vector<Node> root;
    if (parseInto(root, {}) != Stop::kEnd || !problem_.empty()) {
      *problem = problem_;
      return std::nullopt;
    }
    return root;
  }

 private:
  std::string at() const { return "line " + std::to_string(line_) + ": "; }

  // How parseInto stopped: at the end of the text, at the {{/name}} it was asked to
  // find, or at a problem.
  enum class Stop { kEnd, kClosed, kError };

  Stop fail(std::string why) {
    if (problem_.empty()) problem_ = at() + std::move(why);
    return Stop::kError;
  }

  void advance(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (text_[pos_ + i] == '\n') ++line_;
    }
    pos_ += n;
  }

  // Parses until the end, or until {{/closing}} when `closing` is not empty.
  Stop parseInto(std::vector<Node>& out, std::string_view closing) {
    while (pos_ < text_.size()) {
      auto open = text_.find("{{", pos_);
      if (open == std::string_view::npos) open = text_.size();
      if (open > pos_) {
        out.push_back({Node::Kind::kText, std::string(text_.substr(pos_, open - pos_)), {}});
        advance(open - pos_);
      }
      if (pos_ >= text_.size()) break;
      auto close = text_.find("}}", pos_ + 2);
      if (close == std::string_view::npos) return fail("{{ is not closed with }}");
      std::string_view tag = text_.substr(pos_ + 2, close - pos_ - 2);
      const std::size_t tagLength = close + 2 - pos_;
      char sigil = 0;
      if (!tag.empty() && (tag[0] == '#' || tag[0] == '^' || tag[0] == '/')) {
        sigil = tag[0];
        tag.remove_prefix(1);
      }
      while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
      while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
      bool nameOk = !tag.empty();
      for (char c : tag) nameOk = nameOk && isNameChar(c);
      if (!nameOk) {
        return fail("{{" + std::string(text_.substr(pos_ + 2, close - pos_ - 2)) +
                    "}} is not a variable: use {{name}}, {{#name}}, {{^name}} or {{/name}} "
                    "with lower-case letters, digits and _ (there is no unescaped output)");
      }
      const std::string name(tag);
      if (sigil == '/') {
        if (name != closing) {
          return fail(closing.empty() ? "{{/" + name + "}} closes no section"
                                      : "{{/" + name + "}} found where {{/" + std::string(closing) +
                                            "}} was expected");
        }
        advance(tagLength);
        return Stop::kClosed;
      }
      if (sigil == 0) {
        if (!knownText(scopes_, name)) {
          return fail(knownList(scopes_, name) ? "{{" + name + "}} is a list: use {{#" + name + "}}"
                                               : "unknown variable {{" + name + "}}");
        }
        out.push_back({Node::Kind::kVariable, name, {}});
        advance(tagLength);
        continue;
      }
      const auto* list = knownList(scopes_, name);
      if (list == nullptr && !knownText(scopes_, name)) {
        return fail("unknown variable {{" + std::string(1, sigil) + name + "}}");
      }
      advance(tagLength);
      Node section{sigil == '#' ? Node::Kind::kSection : Node::Kind::kInverted, name, {}};
      // Inside a list's section its items' names are visible too.
      const bool scoped = list != nullptr && sigil == '#';
      if (scoped) scopes_.push_back(list);
      const int openedAt = line_;
      const auto stop = parseInto(section.children, name);
      if (scoped) scopes_.pop_back();
      if (stop == Stop::kError) return stop;
      if (stop == Stop::kEnd) {
        line_ = openedAt;
        return fail("{{" + std::string(1, sigil) + name + "}} is not closed with {{/" + name +
                    "}}");
      }
      out.push_back(std::move(section));
    }
    return Stop::kEnd;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  Scopes scopes_;
  std::string problem_;
};

// The value of `name`, innermost scope first.
using ValueScopes = std::vector<const PageValues*>;

const std::string* findText(const ValueScopes& scopes, std::string_view name) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    if (auto t = (*it)->text.find(name); t != (*it)->text.end()) return &t->second;
  }
  return nullptr;
}

const std::vector<PageValues>* findList(const ValueScopes& scopes, std::string_view name) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    if (auto l = (*it)->lists.find(name); l != (*it)->lists.end()) return &l->second;
  }
  return nullptr;
}

void renderNodes(const std::vector<Node>& nodes, ValueScopes& scopes, std::string& out) {
  for (const auto& n : nodes) {
    switch (n.kind) {
      case Node::Kind::kText:
        out += n.text;
        break;
      case Node::Kind::kVariable:
        if (const auto* v = findText(scopes, n.text)) out += core::htmlEscape(*v);
        break;
      case Node::Kind::kSection:
      case Node::Kind::kInverted: {
        const auto* list = findList(scopes, n.text);
        const auto* text = list ? nullptr : findText(scopes, n.text);
        const bool present = list ? !list->empty() : (text != nullptr && !text->empty());
        if (n.kind == Node::Kind::kInverted) {
          if (!present) renderNodes(n.children, scopes, out);
        } else if (list) {
          for (const auto& item : *list) {
            scopes.push_back(&item);
            renderNodes(n.children, scopes, out);
            scopes.pop_back();
          }
        } else if (present) {
          renderNodes(n.children, scopes, out);
        }
        break;
      }
    }
  }
}

}  // namespace

std::optional<PageTemplate> PageTemplate::parse(std::string_view text, const PageSchema& schema,
                                                std::string* problem) {
  if (text.size() > kMaxBytes) {
    *problem = "is larger than " + std::to_string(kMaxBytes / 1024) + " KiB";
    return std::nullopt;
  }
  Parser parser(text, schema);
  auto nodes = parser.run(problem);
  if (!nodes) return std::nullopt;
  PageTemplate t;
  t.nodes_ = std::make_shared<const std::vector<Node>>(std::move(*nodes));
  return t;
}

std::string PageTemplate::render(const PageValues& values) const {
  std::string out;
  if (!nodes_) return out;
  ValueScopes scopes{&values};
  renderNodes(*nodes_, scopes, out);
  return out;
}

}  // namespace authgate::config
