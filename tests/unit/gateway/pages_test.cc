// The pages' pure parts: user-agent summaries, the form check, the built-in templates,
// the brand and the error page's contents.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gateway/csrf.h"
#include "gateway/pages.h"
#include "gateway/sessions_page.h"
#include "gateway/user_agent.h"
#include "gateway/web.h"

namespace authgate::gateway {
namespace {

TEST(UserAgent, NamesCommonBrowsersAndDevices) {
  struct Case {
    const char* ua;
    const char* browser;
    const char* device;
  };
  const Case cases[] = {
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36",
       "Chrome 120", "Windows"},
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
       "Edge 120", "Windows"},
      {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) Version/17.1 Safari/605.1.15",
       "Safari 17", "Mac"},
      {"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox 121",
       "Linux"},
      {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
       "like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
       "Safari 17", "iPhone"},
      {"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "CriOS/119.0.6045.169 Mobile/15E148 Safari/604.1",
       "Chrome 119", "iPad"},
      {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.6099.43 Mobile Safari/537.36",
       "Chrome 120", "Android phone"},
      {"Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
       "SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36",
       "Samsung Internet 23", "Android tablet"},
      {"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36 OPR/105.0.0.0",
       "Opera 105", "ChromeOS"},
      {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "HeadlessChrome/118.0.5993.88 Safari/537.36",
       "Chrome 118", "Linux"},
      {"curl/7.88.1", "curl", "Unknown device"},
      {"", "Unknown browser", "Unknown device"},
      {"<script>", "Unknown browser", "Unknown device"},
  };
  for (const auto& c : cases) {
    const auto d = describeUserAgent(c.ua);
    EXPECT_EQ(d.browser, c.browser) << c.ua;
    EXPECT_EQ(d.device, c.device) << c.ua;
  }
}

TEST(UserAgent, AVersionIsDigitsOnlyAndShort) {
  EXPECT_EQ(describeUserAgent("Firefox/<b>").browser, "Firefox");
  EXPECT_EQ(describeUserAgent("Firefox/12345678901").browser, "Firefox 12345");
}

TEST(FormCheck, NeedsThisSessionsTokenForThisPurpose) {
  const std::string cookie(43, 'a');
  const auto token = formToken("sessions", cookie);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(checkForm(RequestSite::kOwn, token, "sessions", cookie), FormCheck::kOk);
  // No Origin and no Fetch Metadata (an old browser): the token alone decides.
  EXPECT_EQ(checkForm(RequestSite::kUnknown, token, "sessions", cookie), FormCheck::kOk);
  EXPECT_EQ(checkForm(RequestSite::kOwn, std::nullopt, "sessions", cookie), FormCheck::kBadToken);
  EXPECT_EQ(checkForm(RequestSite::kOwn, "", "sessions", cookie), FormCheck::kBadToken);
  EXPECT_EQ(checkForm(RequestSite::kOwn, token, "logout", cookie), FormCheck::kBadToken);
  EXPECT_EQ(checkForm(RequestSite::kOwn, token, "sessions", std::string(43, 'b')),
            FormCheck::kBadToken);
  EXPECT_EQ(checkForm(RequestSite::kOwn, token.substr(1), "sessions", cookie),
            FormCheck::kBadToken);
  EXPECT_EQ(checkForm(RequestSite::kOwn, token, "sessions", ""), FormCheck::kBadToken);
  // Another site is refused even with the right token.
  EXPECT_EQ(checkForm(RequestSite::kForeign, token, "sessions", cookie), FormCheck::kForeign);
}

net::Request browserGet() {
  net::Request req{net::http::verb::get, "/x", 11};
  req.set(net::http::field::accept, "text/html");
  return req;
}

TEST(Pages, EveryBuiltInPageParsesAgainstItsSchema) {
  for (const auto& spec : config::pageCatalogue()) {
    std::string problem;
    EXPECT_TRUE(config::PageTemplate::parse(builtinTemplate(spec.name), spec.schema, &problem))
        << spec.name << ": " << problem;
  }
}

TEST(Pages, ErrorPageShowsTheRequestIdAndPlainWordsWithAStrictPolicy) {
  RequestIdScope scope("0123456789abcdef");
  auto res = errorPage(browserGet(), net::http::status::bad_gateway, "upstream_unreachable",
                       "The application is not reachable", "Please <try> again.");
  const auto& body = res.body();
  EXPECT_NE(body.find("<code id=\"request-id\">0123456789abcdef</code>"), std::string::npos);
  EXPECT_NE(body.find("Please &lt;try&gt; again."), std::string::npos);
  EXPECT_NE(body.find("href=\"/\""), std::string::npos);
  const auto csp = std::string(res["Content-Security-Policy"]);
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("script-src"), std::string::npos);
  EXPECT_EQ(body.find("<script"), std::string::npos);
}

TEST(Pages, TheUnreachablePageDoesNotLinkBackToTheApp) {
  ErrorPageExtras extras;
  extras.home_link = false;
  auto res = errorPage(browserGet(), net::http::status::bad_gateway, "upstream_unreachable",
                       "The application is not reachable", "", extras);
  EXPECT_EQ(res.body().find("href=\"/\""), std::string::npos) << res.body();
  EXPECT_EQ(res.body().find("Back to the application"), std::string::npos);
}

TEST(Pages, TheBrandIsAppliedEscapedAndItsLogoOriginAllowed) {
  config::PagesSettings settings;
  settings.brand = {{"name", "Acme <Corp>"},
                    {"logo_url", "https://cdn.acme.example/logo.svg"},
                    {"color", "#ffcc00"}};
  std::vector<std::string> problems;
  auto pages = Pages::make(settings, &problems);
  ASSERT_TRUE(pages);
  config::PageValues v;
  v.text = {{"title", "Signed out"}, {"continue_url", "/"}};
  auto res = pages->render(browserGet(), net::http::status::ok, "signed_out", v);
  const auto& body = res.body();
  EXPECT_NE(body.find("<title>Signed out - Acme &lt;Corp&gt;</title>"), std::string::npos) << body;
  EXPECT_NE(body.find("<img src=\"https://cdn.acme.example/logo.svg\" alt=\"Acme &lt;Corp&gt;\">"),
            std::string::npos);
  EXPECT_NE(body.find("--brand:#ffcc00;--on-brand:#000000"), std::string::npos)
      << "dark text on a light brand colour";
  EXPECT_NE(pages->contentSecurityPolicy().find("img-src 'self' https://cdn.acme.example;"),
            std::string::npos);
}

TEST(Pages, AnOperatorsTemplateReplacesThePageAndCannotRunAScript) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("authgate-pages-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "error.html")
        << "<h1>{{brand_name}}: {{title}}</h1><p>{{message}}</p><script>alert(1)</script>"
           "<p>{{request_id}}</p>";
  }
  config::PagesSettings settings;
  settings.templates_dir = dir.string();
  settings.brand = {{"name", "Acme"}};
  std::vector<std::string> problems;
  auto pages = Pages::make(settings, &problems);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(pages) << (problems.empty() ? "" : problems[0]);
  installPages(pages);
  RequestIdScope scope("00000000000000ff");
  auto res = errorPage(browserGet(), net::http::status::forbidden, "csrf_mismatch",
                       "This form has expired", "Open <it> again.");
  installPages(nullptr);
  EXPECT_EQ(res.body(),
            "<h1>Acme: This form has expired</h1><p>Open &lt;it&gt; again.</p>"
            "<script>alert(1)</script><p>00000000000000ff</p>");
  // The operator's markup is theirs, but the policy gives no script a source.
  const auto csp = std::string(res["Content-Security-Policy"]);
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("script-src"), std::string::npos);
  // The other pages stay built in.
  auto out = pages->render(browserGet(), net::http::status::ok, "signed_out", {});
  EXPECT_NE(out.body().find("<!doctype html>"), std::string::npos);
}

TEST(Pages, DarkBrandColoursGetWhiteText) {
  config::PagesSettings settings;
  settings.brand = {{"color", "#123"}};
  std::vector<std::string> problems;
  auto pages = Pages::make(settings, &problems);
  ASSERT_TRUE(pages);
  auto res = pages->render(browserGet(), net::http::status::ok, "signed_out", {});
  EXPECT_NE(res.body().find("--brand:#123;--on-brand:#ffffff"), std::string::npos);
}

TEST(SessionsPage, FormatsTimesInUtc) {
  EXPECT_EQ(formatUtcMinute(1764704580), "2025-12-02 19:43 UTC");
  EXPECT_EQ(formatIso8601(1764704585), "2025-12-02T19:43:05Z");
}

}  // namespace
}  // namespace authgate::gateway
