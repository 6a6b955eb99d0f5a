#include "authgate/core/metrics.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

namespace authgate::core {
namespace {

TEST(MetricsRegistry, RendersCounterWithLabelsInTextFormat) {
  MetricsRegistry r;
  r.counter("app_requests_total", "Requests", {{"route", "/a"}, {"status", "200"}}).inc(2);
  EXPECT_EQ(r.render(),
            "# HELP app_requests_total Requests\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{route=\"/a\",status=\"200\"} 2\n");
}

TEST(MetricsRegistry, SameNameAndLabelsIsTheSameSeries) {
  MetricsRegistry r;
  auto& a = r.counter("c_total", "h", {{"k", "v"}});
  auto& b = r.counter("c_total", "h", {{"k", "v"}});
  auto& other = r.counter("c_total", "h", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
}

TEST(MetricsRegistry, GaugeGoesUpAndDown) {
  MetricsRegistry r;
  auto& g = r.gauge("in_flight", "h");
  g.inc();
  g.inc();
  g.dec();
  EXPECT_EQ(g.value(), 1);
  EXPECT_NE(r.render().find("in_flight 1\n"), std::string::npos);
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  MetricsRegistry r;
  r.counter("x_total", "line1\nline2 \\", {{"path", "a\"b\\c\nd"}}).inc();
  const auto text = r.render();
  EXPECT_NE(text.find("# HELP x_total line1\\nline2 \\\\\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
}

TEST(MetricsRegistry, RejectsOneNameWithTwoTypes) {
  MetricsRegistry r;
  r.counter("dup", "h");
  EXPECT_THROW(r.gauge("dup", "h"), std::logic_error);
}

TEST(Histogram, BucketsAreCumulativeAndInfEqualsCount) {
  MetricsRegistry r;
  const std::vector<double> bounds{0.25, 0.5, 1};
  auto& h = r.histogram("lat_seconds", "h", {{"route", "/x"}}, bounds);
  h.observe(0.125);
  h.observe(0.25);  // on a bound: counts in that bucket (le)
  h.observe(0.75);
  h.observe(3);
  EXPECT_EQ(r.render(),
            "# HELP lat_seconds h\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{route=\"/x\",le=\"0.25\"} 2\n"
            "lat_seconds_bucket{route=\"/x\",le=\"0.5\"} 2\n"
            "lat_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
            "lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{route=\"/x\"} 4.125\n"
            "lat_seconds_count{route=\"/x\"} 4\n");
}

TEST(Histogram, RejectsUnsortedBounds) {
  EXPECT_THROW(Histogram({1, 0.5}), std::logic_error);
  EXPECT_THROW(Histogram({1, 1}), std::logic_error);
}

TEST(Counter, ConcurrentIncrementsAreNotLost) {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i) c.inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000U);
}

}  // namespace
}  // namespace authgate::core
