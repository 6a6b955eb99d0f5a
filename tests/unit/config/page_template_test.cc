// The page template substitution (config/page_template.h) and the `pages:` settings.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/load.h"
#include "config/page_template.h"
#include "config/pages.h"
#include "config_test_util.h"

namespace authgate::config {
namespace {

using testing::hasProblem;
using testing::kValidYaml;
using testing::problemsText;
using testing::TempDir;

const PageSchema kSchema{{"title", "user", "flag"},
                         {{"items", PageSchema{{"name", "current"}, {}}}}};

PageTemplate parsed(std::string_view text) {
  std::string problem;
  auto t = PageTemplate::parse(text, kSchema, &problem);
  EXPECT_TRUE(t.has_value()) << problem;
  return t ? *t : PageTemplate{};
}

std::string refused(std::string_view text) {
  std::string problem;
  EXPECT_FALSE(PageTemplate::parse(text, kSchema, &problem).has_value()) << text;
  return problem;
}

TEST(PageTemplate, EscapesEveryVariable) {
  PageValues v;
  v.text = {{"title", "<script>alert(1)</script>"}, {"user", "\"a\" & 'b'"}};
  EXPECT_EQ(parsed("<h1>{{title}}</h1><input value=\"{{user}}\">").render(v),
            "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"
            "<input value=\"&quot;a&quot; &amp; &#39;b&#39;\">");
}

TEST(PageTemplate, SpacesInsideTagsAndMissingValuesAreEmpty) {
  PageValues v;
  v.text = {{"title", "T"}};
  EXPECT_EQ(parsed("[{{ title }}][{{user}}]").render(v), "[T][]");
}

TEST(PageTemplate, RefusesUnknownVariablesNamingThemAndTheLine) {
  EXPECT_EQ(refused("ok\n<p>{{user_name}}</p>"), "line 2: unknown variable {{user_name}}");
  EXPECT_EQ(refused("{{#nope}}x{{/nope}}"), "line 1: unknown variable {{#nope}}");
  // An item's names exist only inside its list.
  EXPECT_EQ(refused("{{name}}"), "line 1: unknown variable {{name}}");
  EXPECT_EQ(refused("{{items}}"), "line 1: {{items}} is a list: use {{#items}}");
}

TEST(PageTemplate, HasNoRawOutputNoCommentsNoPartials) {
  for (auto text : {"{{{title}}}", "{{&title}}", "{{> header}}", "{{! note}}", "{{Title}}",
                    "{{title.x}}", "{{}}", "{{title"}) {
    EXPECT_FALSE(refused(text).empty()) << text;
  }
}

TEST(PageTemplate, AValueIsNeverATemplate) {
  // Substitution is one pass over the template: what a value holds is text, even when
  // it looks like a tag, so a user's name cannot reach another variable.
  PageValues v;
  v.text = {{"title", "{{user}}{{#flag}}x{{/flag}}"}, {"user", "secret"}, {"flag", "1"}};
  EXPECT_EQ(parsed("{{title}}").render(v), "{{user}}{{#flag}}x{{/flag}}");
  PageValues item;
  item.text = {{"name", "{{title}}"}};
  v.lists["items"] = {item};
  EXPECT_EQ(parsed("{{#items}}{{name}}{{/items}}").render(v), "{{title}}");
}

TEST(PageTemplate, HasNoExpressionsCallsOrIncludes) {
  // Nothing but a name: no filters, calls, arithmetic, paths or file includes.
  for (auto text : {"{{title | upper}}", "{{title()}}", "{{1+1}}", "{{ ../etc/passwd }}",
                    "{{#items.0}}x{{/items.0}}", "{{=<% %>=}}", "{{< base}}", "{{$block}}",
                    "{{ title user }}", "{{#title}}x{{/title }}{{@index}}"}) {
    EXPECT_FALSE(refused(text).empty()) << text;
  }
}

TEST(PageTemplate, RefusesBadlyNestedSections) {
  EXPECT_EQ(refused("{{#flag}}x"), "line 1: {{#flag}} is not closed with {{/flag}}");
  EXPECT_EQ(refused("{{/flag}}"), "line 1: {{/flag}} closes no section");
  EXPECT_EQ(refused("{{#flag}}{{#items}}{{/flag}}{{/items}}"),
            "line 1: {{/flag}} found where {{/items}} was expected");
}

TEST(PageTemplate, SectionsRepeatListsAndTestText) {
  PageValues v;
  v.text = {{"title", "T"}, {"flag", "1"}};
  PageValues a, b;
  a.text = {{"name", "<a>"}, {"current", "1"}};
  b.text = {{"name", "b"}};
  v.lists["items"] = {a, b};
  auto t = parsed(
      "{{#items}}[{{name}}{{#current}}*{{/current}} {{title}}]{{/items}}"
      "{{#flag}}F{{/flag}}{{^flag}}no{{/flag}}{{^user}}U{{/user}}");
  EXPECT_EQ(t.render(v), "[&lt;a&gt;* T][b T]FU");
  PageValues empty;
  EXPECT_EQ(parsed("{{#items}}x{{/items}}{{^items}}none{{/items}}").render(empty), "none");
}

TEST(PageTemplate, RefusesLargeTemplates) {
  std::string problem;
  EXPECT_FALSE(
      PageTemplate::parse(std::string(PageTemplate::kMaxBytes + 1, 'x'), kSchema, &problem));
  EXPECT_NE(problem.find("larger than"), std::string::npos);
}

TEST(PagesSettings, EveryPageOffersTheCommonVariables) {
  ASSERT_EQ(pageCatalogue().size(), 4u);
  for (const auto& page : pageCatalogue()) {
    for (auto name : {"brand_name", "brand_logo_url", "brand_color", "title", "request_id"}) {
      EXPECT_TRUE(page.schema.text.contains(name)) << page.name << " " << name;
    }
  }
}

TEST(PagesSettings, ABadTemplateIsRefusedWithItsFileAndVariable) {
  TempDir dir;
  dir.write("error.html", "<p>{{message}}</p>");
  const auto bad =
      dir.write("sessions.html", "<p>\n{{#sessions}}{{device}} {{secret}}{{/sessions}}");
  auto r =
      loadYaml(std::string(kValidYaml) + "pages:\n  templates_dir: \"" + dir.path() + "\"\n", {});
  ASSERT_EQ(r.problems.size(), 1u) << problemsText(r);
  EXPECT_EQ(r.problems[0].key, "pages.templates_dir");
  EXPECT_NE(r.problems[0].reason.find(bad), std::string::npos) << r.problems[0].reason;
  EXPECT_NE(r.problems[0].reason.find("line 2: unknown variable {{secret}}"), std::string::npos)
      << r.problems[0].reason;
}

TEST(PagesSettings, GoodTemplatesLoadAndUnknownPagesAreRefused) {
  TempDir dir;
  dir.write("error.html", "<p>{{message}} {{request_id}}</p>");
  auto loaded = loadPageTemplates(dir.path());
  EXPECT_TRUE(loaded.problems.empty());
  EXPECT_TRUE(loaded.pages.contains("error"));
  dir.write("eror.html", "typo");
  loaded = loadPageTemplates(dir.path());
  ASSERT_EQ(loaded.problems.size(), 1u);
  EXPECT_NE(loaded.problems[0].find("is not a page"), std::string::npos);
  EXPECT_FALSE(loadPageTemplates(dir.path() + "/missing").problems.empty());
}

TEST(PagesSettings, ATemplateMayNotLeadOutOfItsFolder) {
  TempDir outside, dir;
  const auto target = outside.write("secret.html", "{{title}}");
  std::filesystem::create_symlink(target, std::filesystem::path(dir.path()) / "error.html");
  auto loaded = loadPageTemplates(dir.path());
  ASSERT_EQ(loaded.problems.size(), 1u);
  EXPECT_NE(loaded.problems[0].find("leads outside"), std::string::npos) << loaded.problems[0];
}

TEST(PagesSettings, BrandValuesAreChecked) {
  auto with = [](std::string_view brand) {
    return loadYaml(std::string(kValidYaml) + "pages:\n  brand: " + std::string(brand) + "\n", {});
  };
  auto good = with(
      "{name: \"Acme <Corp>\", logo_url: \"https://cdn.acme.example/logo.svg\", "
      "color: \"#0a7\"}");
  EXPECT_TRUE(good.ok()) << problemsText(good);
  EXPECT_EQ(good.config.pages.brand.at("name"), "Acme <Corp>");
  EXPECT_TRUE(with("{logo_url: /static/logo.png, color: \"#1A73E8\"}").ok());
  EXPECT_TRUE(
      hasProblem(with("{logo_url: \"http://cdn.example/logo.svg\"}"), "pages.brand.logo_url"));
  EXPECT_TRUE(hasProblem(with("{logo_url: \"javascript:alert(1)\"}"), "pages.brand.logo_url"));
  EXPECT_TRUE(hasProblem(with("{logo_url: \"//evil.example/x.png\"}"), "pages.brand.logo_url"));
  EXPECT_TRUE(hasProblem(with("{color: \"red;}body{display:none\"}"), "pages.brand.color"));
  EXPECT_TRUE(hasProblem(with("{color: \"#12345\"}"), "pages.brand.color"));
  EXPECT_TRUE(hasProblem(with("{colour: \"#123\"}"), "pages.brand.colour: unknown key"));
}

}  // namespace
}  // namespace authgate::config
