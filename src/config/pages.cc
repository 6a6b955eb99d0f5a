#include "config/pages.h"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace authgate::config {
namespace {

// Offered on every page.
const std::set<std::string, std::less<>> kCommon = {
    "brand_name", "brand_logo_url", "brand_color", "brand_text_color", "title", "request_id"};

PageSchema withCommon(std::set<std::string, std::less<>> text,
                      std::map<std::string, PageSchema, std::less<>> lists = {}) {
  text.insert(kCommon.begin(), kCommon.end());
  return {std::move(text), std::move(lists)};
}

const PageSchema kSessionItem{{"id", "device", "browser", "ip", "created", "created_iso",
                               "last_seen", "last_seen_iso", "current", "active", "state"},
                              {}};
const PageSchema kAdminItem{{"id", "user", "device", "browser", "ip", "created", "created_iso",
                             "last_seen", "last_seen_iso", "active", "state"},
                            {}};

const std::array<PageSpec, 4> kPages = {
    PageSpec{"error", withCommon({"message", "error_code", "home_url", "retry_url",
                                  "provider_error", "provider_description"})},
    PageSpec{"logout", withCommon({"user", "csrf", "action_url", "sessions_url"})},
    PageSpec{"signed_out", withCommon({"continue_url"})},
    PageSpec{"sessions", withCommon({"user", "csrf", "action_url", "logout_url", "notice",
                                     "is_admin", "admin_query", "admin_searched", "admin_found"},
                                    {{"sessions", kSessionItem}, {"admin_results", kAdminItem}})},
};

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

std::span<const PageSpec> pageCatalogue() { return kPages; }

const PageSpec* findPage(std::string_view name) {
  for (const auto& p : kPages) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

LoadedTemplates loadPageTemplates(const std::string& dir) {
  namespace fs = std::filesystem;
  LoadedTemplates out;
  std::error_code ec;
  const auto root = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root, ec)) {
    out.problems.push_back(quoted(dir) + " is not a readable folder");
    return out;
  }
  std::vector<fs::path> files;
  for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->path().extension() == ".html") files.push_back(it->path());
  }
  if (ec) {
    out.problems.push_back(quoted(dir) + " cannot be listed: " + ec.message());
    return out;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const auto shown = quoted(file.string());
    const auto name = file.stem().string();
    const auto* page = findPage(name);
    if (page == nullptr) {
      std::string known;
      for (const auto& p : kPages) known += (known.empty() ? "" : ", ") + std::string(p.name);
      out.problems.push_back(shown + " is not a page (pages: " + known + ")");
      continue;
    }
    // The template itself must be inside the folder: a symlink may not point out of it.
    const auto real = fs::canonical(file, ec);
    const auto rel = ec ? fs::path() : real.lexically_relative(root);
    if (ec || rel.empty() || *rel.begin() == "..") {
      out.problems.push_back(shown + " leads outside " + quoted(root.string()));
      continue;
    }
    if (!fs::is_regular_file(real, ec)) {
      out.problems.push_back(shown + " is not a regular file");
      continue;
    }
    if (fs::file_size(real, ec) > PageTemplate::kMaxBytes) {
      out.problems.push_back(shown + " is larger than " +
                             std::to_string(PageTemplate::kMaxBytes / 1024) + " KiB");
      continue;
    }
    std::ifstream in(real, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      out.problems.push_back(shown + " cannot be read");
      continue;
    }
    std::string problem;
    auto parsed = PageTemplate::parse(text.str(), page->schema, &problem);
    if (!parsed) {
      out.problems.push_back(shown + ": " + problem);
      continue;
    }
    out.pages.emplace(name, std::move(*parsed));
  }
  return out;
}

std::string brandLogoProblem(std::string_view url) {
  if (url.empty()) return "";
  // A path on this site: "/static/logo.svg", never "//host" (a network-path reference).
  if (url.front() == '/') {
    if (url.starts_with("//") || url.find('\\') != std::string_view::npos) {
      return quoted(std::string(url)) + " must be a path like /logo.svg or an https:// URL";
    }
    auto ref = boost::urls::parse_origin_form(url);
    if (!ref) return quoted(std::string(url)) + " is not a valid path";
    return "";
  }
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u || u->scheme_id() != boost::urls::scheme::https || u->encoded_host().empty()) {
    return quoted(std::string(url)) + " must be an https:// URL or a path like /logo.svg";
  }
  if (u->has_userinfo()) return quoted(std::string(url)) + " must not contain user:password@";
  return "";
}

std::string brandColorProblem(std::string_view color) {
  if (color.empty()) return "";
  bool ok = (color.size() == 4 || color.size() == 7) && color.front() == '#';
  for (std::size_t i = 1; ok && i < color.size(); ++i) {
    ok = std::isxdigit(static_cast<unsigned char>(color[i])) != 0;
  }
  return ok ? "" : quoted(std::string(color)) + " is not a colour like #1a73e8 or #17e";
}

}  // namespace authgate::config
