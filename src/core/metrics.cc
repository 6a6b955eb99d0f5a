#include "authgate/core/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace authgate::core {
namespace {

enum Type { kCounter = 0, kGauge = 1, kHistogram = 2 };

constexpr std::string_view typeName(int t) {
  switch (t) {
    case kCounter:
      return "counter";
    case kGauge:
      return "gauge";
    default:
      return "histogram";
  }
}

// Go's strconv-compatible spelling of a float that Prometheus parses: shortest
// round-trip digits, and the special values spelled +Inf/-Inf/NaN.
void appendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

void appendUint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

void appendInt(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

// HELP text escapes only backslash and newline (format 0.0.4).
void appendHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// `{a="x",b="y"` without the closing brace, so histograms can add `le`.
std::string renderLabels(const MetricLabels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    out += out.empty() ? "{" : ",";
    out += k;
    out += "=\"";
    out += escapeLabelValue(v);
    out += '"';
  }
  return out;
}

}  // namespace

std::string escapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<double> defaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw std::logic_error("histogram bounds must be strictly increasing");
  }
}

void Histogram::observe(double v) noexcept {
  // Buckets are stored non-cumulative (one increment per observation) and summed when
  // rendered. A value equal to a bound belongs to that bucket (le = "less or equal").
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  int type = kCounter;
  struct Series {
    MetricLabels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  std::vector<std::unique_ptr<Series>> series;

  Series* find(const MetricLabels& labels) {
    for (auto& s : series) {
      if (s->labels == labels) return s.get();
    }
    return nullptr;
  }
  Series& add(const MetricLabels& labels) {
    series.push_back(std::make_unique<Series>());
    series.back()->labels = labels;
    return *series.back();
  }
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 int type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto f = std::make_unique<Family>();
    f->name = std::string(name);
    f->help = std::string(help);
    f->type = type;
    it = families_.emplace(std::string(name), std::move(f)).first;
  } else if (it->second->type != type) {
    throw std::logic_error("metric " + std::string(name) + " registered with another type");
  }
  return *it->second;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, kCounter);
  auto* s = f.find(labels);
  if (s == nullptr) {
    s = &f.add(labels);
    s->counter = std::make_unique<Counter>();
  }
  return *s->counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                              const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, kGauge);
  auto* s = f.find(labels);
  if (s == nullptr) {
    s = &f.add(labels);
    s->gauge = std::make_unique<Gauge>();
  }
  return *s->gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const MetricLabels& labels, std::span<const double> bounds) {
  std::lock_guard lock(mu_);
  auto& f = family(name, help, kHistogram);
  auto* s = f.find(labels);
  if (s == nullptr) {
    s = &f.add(labels);
    s->histogram = std::make_unique<Histogram>(std::vector<double>(bounds.begin(), bounds.end()));
  }
  return *s->histogram;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(4096);
  for (const auto& [name, f] : families_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    appendHelp(out, f->help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += typeName(f->type);
    out += '\n';
    for (const auto& s : f->series) {
      std::string labels = renderLabels(s->labels);
      if (f->type != kHistogram) {
        out += name;
        if (!labels.empty()) out += labels + "}";
        out += ' ';
        if (f->type == kCounter) {
          appendUint(out, s->counter->value());
        } else {
          appendInt(out, s->gauge->value());
        }
        out += '\n';
        continue;
      }
      auto snap = s->histogram->snapshot();
      const std::string open = labels.empty() ? "{" : labels + ",";
      for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
        out += name;
        out += "_bucket";
        out += open;
        out += "le=\"";
        appendDouble(out, i < snap.bounds.size() ? snap.bounds[i] : INFINITY);
        out += "\"} ";
        appendUint(out, snap.cumulative[i]);
        out += '\n';
      }
      const std::string closed = labels.empty() ? "" : labels + "}";
      out += name + "_sum" + closed + " ";
      appendDouble(out, snap.sum);
      out += '\n';
      out += name + "_count" + closed + " ";
      appendUint(out, snap.count);
      out += '\n';
    }
  }
  return out;
}

}  // namespace authgate::core
