// /metrics parsed as Prometheus text, and the JSON access-log line.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <map>
#include <sstream>

#include "server_test_support.h"

namespace authgate::net::testing {
namespace {

// One sample line: name{labels} value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// A small exposition-format parser: skips comments, reads `name{k="v",...} value`.
std::vector<Sample> parseExposition(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    std::size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        auto eq = line.find('=', i);
        std::string key = line.substr(i, eq - i);
        std::string value;
        std::size_t j = eq + 2;  // after ="
        for (; line[j] != '"'; ++j) {
          if (line[j] == '\\') ++j;
          value += line[j];
        }
        s.labels[key] = value;
        i = j + 1;
        if (line[i] == ',') ++i;
      }
      ++i;
    }
    s.value = std::stod(line.substr(i + 1));
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<double> find(const std::vector<Sample>& samples, const std::string& name,
                           const std::map<std::string, std::string>& labels) {
  for (const auto& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

std::vector<Sample> scrape(Client& client) {
  EXPECT_TRUE(client.send(get("/metrics")));
  auto res = client.read();
  EXPECT_TRUE(res);
  if (!res) return {};
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ((*res)[boost::beast::http::field::content_type],
            "text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(res->body());
}

TEST(ServerMetrics, CountsRequestsByRouteAndStatusWithCumulativeHistogram) {
  TestServer server;
  Client client(server.port());
  auto before = scrape(client);
  const auto healthzBefore =
      find(before, "authgate_http_requests_total", {{"route", "/healthz"}, {"status", "200"}})
          .value_or(0);

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(get("/healthz")));
    ASSERT_TRUE(client.read());
  }
  ASSERT_TRUE(client.send(get("/no/such/path?x=1")));
  ASSERT_TRUE(client.read());
  ASSERT_TRUE(client.send(get("/echo/a")));
  ASSERT_TRUE(client.read());

  auto after = scrape(client);
  EXPECT_EQ(find(after, "authgate_http_requests_total", {{"route", "/healthz"}, {"status", "200"}}),
            healthzBefore + 3);
  EXPECT_EQ(
      find(after, "authgate_http_requests_total", {{"route", "unmatched"}, {"status", "404"}}), 1);
  // The route label is the pattern, not the raw path.
  EXPECT_EQ(
      find(after, "authgate_http_requests_total", {{"route", "/echo/{tag}"}, {"status", "200"}}),
      1);
  EXPECT_EQ(find(after, "authgate_http_requests_in_flight", {}), 1);  // the scrape itself

  // Histogram for /healthz: buckets cumulative, +Inf equals _count.
  std::vector<std::pair<double, double>> buckets;
  for (const auto& s : after) {
    if (s.name == "authgate_http_request_duration_seconds_bucket" &&
        s.labels.at("route") == "/healthz") {
      const auto& le = s.labels.at("le");
      buckets.emplace_back(le == "+Inf" ? INFINITY : std::stod(le), s.value);
    }
  }
  ASSERT_GE(buckets.size(), 2U);
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    EXPECT_LT(buckets[i - 1].first, buckets[i].first);
    EXPECT_LE(buckets[i - 1].second, buckets[i].second);
  }
  EXPECT_TRUE(std::isinf(buckets.back().first));
  auto count = find(after, "authgate_http_request_duration_seconds_count", {{"route", "/healthz"}});
  ASSERT_TRUE(count);
  EXPECT_EQ(buckets.back().second, *count);
  EXPECT_EQ(*count, healthzBefore + 3);
  EXPECT_TRUE(find(after, "authgate_http_request_duration_seconds_sum", {{"route", "/healthz"}}));
}

TEST(ServerAccessLog, OneJsonLinePerRequestWithoutQueryValues) {
  TestServer server;
  Client client(server.port());
  ASSERT_TRUE(client.send(get("/echo/x?code=SECRET123&state=abc")));
  auto res = client.read();
  ASSERT_TRUE(res);
  const std::string id((*res)["X-Request-Id"]);
  // The line is written right after the response; a second request on the same
  // connection is only read once the first is fully logged.
  ASSERT_TRUE(client.send(get("/healthz")));
  ASSERT_TRUE(client.read());

  // The second line is written just after its response: wait for it.
  auto lines = server.logLines();
  for (int i = 0; i < 200 && lines.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    lines = server.logLines();
  }
  ASSERT_GE(lines.size(), 1U);
  boost::system::error_code ec;
  auto v = boost::json::parse(lines[0], ec);
  ASSERT_FALSE(ec) << lines[0];
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("method").as_string(), "GET");
  EXPECT_EQ(o.at("path").as_string(), "/echo/x");
  EXPECT_EQ(o.at("status").as_int64(), 200);
  EXPECT_TRUE(o.at("duration_ms").is_number());
  EXPECT_EQ(o.at("id").as_string(), id);
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("SECRET123"), std::string::npos) << line;
    EXPECT_EQ(line.find("abc"), std::string::npos) << line;
  }
  EXPECT_EQ(lines.size(), 2U);  // exactly one line per request
}

TEST(ServerAccessLog, LimitErrorsAreLoggedToo) {
  TestServer server;
  {
    Client client(server.port());
    ASSERT_TRUE(client.send(
        "POST /upload?token=SECRET HTTP/1.1\r\nHost: t\r\nContent-Length: 9999999\r\n\r\n"));
    auto res = client.read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 413);
    EXPECT_TRUE(client.waitClosed());
  }
  auto lines = server.logLines();
  ASSERT_EQ(lines.size(), 1U);
  auto v = boost::json::parse(lines[0]);
  EXPECT_EQ(v.at("status").as_int64(), 413);
  EXPECT_EQ(v.at("path").as_string(), "/upload");
}

}  // namespace
}  // namespace authgate::net::testing
