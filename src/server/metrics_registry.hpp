// Counters, gauges and histograms rendered in the Prometheus text exposition
// format 0.0.4 (what `GET /metrics` returns). prometheus-cpp is not packaged
// in Debian 12, and the format needs no more than this.
//
//   MetricsRegistry metrics;
//   Counter& requests = metrics.add_counter("resr_http_requests_total",
//                                           "HTTP requests by route and status.",
//                                           {"route", "status"});
//   requests.inc({"POST /sr", "202"});
//   std::string body = metrics.render();  // serve as kPrometheusContentType
//
// Every method is thread-safe. Families live as long as the registry; the
// references it returns stay valid. Naming mistakes (invalid or duplicate
// names, wrong number of label values, a negative counter increment) are
// programming errors and throw std::invalid_argument.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace resr {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// One value per label name of the family, in the same order.
using LabelValues = std::vector<std::string>;

class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~MetricFamily() = default;
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  const std::string& name() const { return name_; }
  // Appends HELP, TYPE and every series, in label-value order.
  virtual void render(std::string& out) const = 0;

 protected:
  void check_labels(const LabelValues& values) const;
  // `{a="x",b="y"}` plus an optional extra pair (a histogram's `le`); empty
  // when there are no labels at all.
  std::string label_text(const LabelValues& values, const std::string& extra_name = "",
                         const std::string& extra_value = "") const;
  void render_header(std::string& out, const char* type) const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  mutable std::mutex mutex_;
};

// A value per label set that only goes up (requests, failures, pixels).
class Counter : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;
  void inc(const LabelValues& labels = {}, double amount = 1);
  double value(const LabelValues& labels = {}) const;
  void render(std::string& out) const override;

 private:
  std::map<LabelValues, double> values_;
};

// A value per label set that goes up and down (queue depth, running tasks).
class Gauge : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;
  void set(double value, const LabelValues& labels = {});
  void add(double amount, const LabelValues& labels = {});
  double value(const LabelValues& labels = {}) const;
  void render(std::string& out) const override;

 private:
  std::map<LabelValues, double> values_;
};

// Observations counted into buckets of upper bounds (`le`), with their sum
// and count (task durations, request latencies).
class Histogram : public MetricFamily {
 public:
  Histogram(std::string name, std::string help, std::vector<double> bounds,
            std::vector<std::string> label_names);
  void observe(double value, const LabelValues& labels = {});
  void render(std::string& out) const override;

 private:
  struct Series {
    std::vector<uint64_t> bucket_counts;  // not cumulative; one per bound
    uint64_t count = 0;
    double sum = 0;
  };
  const std::vector<double> bounds_;
  std::map<LabelValues, Series> series_;
};

// `count` bounds start, start*factor, start*factor^2, ...
std::vector<double> exponential_buckets(double start, double factor, int count);

class MetricsRegistry {
 public:
  Counter& add_counter(const std::string& name, const std::string& help,
                       std::vector<std::string> label_names = {});
  Gauge& add_gauge(const std::string& name, const std::string& help,
                   std::vector<std::string> label_names = {});
  // `bounds` strictly increasing and finite; the +Inf bucket is implied.
  Histogram& add_histogram(const std::string& name, const std::string& help,
                           std::vector<double> bounds, std::vector<std::string> label_names = {});

  // Every family in registration order, in the text exposition format.
  std::string render() const;

 private:
  template <typename Family>
  Family& add(std::unique_ptr<Family> family);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
};

}  // namespace resr
