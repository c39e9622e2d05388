#include "server/metrics_registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>

namespace resr {
namespace {

TEST(MetricsRegistry, UnlabelledFamiliesStartAtZero) {
  MetricsRegistry metrics;
  metrics.add_counter("resr_tasks_total", "Tasks accepted.");
  metrics.add_gauge("resr_queue_depth", "Tasks waiting.");
  metrics.add_histogram("resr_task_seconds", "Task duration.", {0.5, 2});
  EXPECT_EQ(metrics.render(),
            "# HELP resr_tasks_total Tasks accepted.\n"
            "# TYPE resr_tasks_total counter\n"
            "resr_tasks_total 0\n"
            "# HELP resr_queue_depth Tasks waiting.\n"
            "# TYPE resr_queue_depth gauge\n"
            "resr_queue_depth 0\n"
            "# HELP resr_task_seconds Task duration.\n"
            "# TYPE resr_task_seconds histogram\n"
            "resr_task_seconds_bucket{le=\"0.5\"} 0\n"
            "resr_task_seconds_bucket{le=\"2\"} 0\n"
            "resr_task_seconds_bucket{le=\"+Inf\"} 0\n"
            "resr_task_seconds_sum 0\n"
            "resr_task_seconds_count 0\n");
}

TEST(MetricsRegistry, LabelledCounterSeriesInLabelOrder) {
  MetricsRegistry metrics;
  Counter& requests =
      metrics.add_counter("resr_http_requests_total", "HTTP requests.", {"route", "status"});
  EXPECT_EQ(metrics.render(),
            "# HELP resr_http_requests_total HTTP requests.\n"
            "# TYPE resr_http_requests_total counter\n");
  requests.inc({"POST /sr", "202"});
  requests.inc({"GET /health", "200"}, 2);
  requests.inc({"POST /sr", "202"}, 0.5);
  EXPECT_EQ(requests.value({"POST /sr", "202"}), 1.5);
  EXPECT_EQ(requests.value({"POST /sr", "500"}), 0);
  EXPECT_EQ(metrics.render(),
            "# HELP resr_http_requests_total HTTP requests.\n"
            "# TYPE resr_http_requests_total counter\n"
            "resr_http_requests_total{route=\"GET /health\",status=\"200\"} 2\n"
            "resr_http_requests_total{route=\"POST /sr\",status=\"202\"} 1.5\n");
}

TEST(MetricsRegistry, GaugeSetsAndAdds) {
  MetricsRegistry metrics;
  Gauge& running = metrics.add_gauge("resr_running", "Running tasks.", {"model"});
  running.set(3, {"x4"});
  running.add(-1, {"x4"});
  running.add(0.25, {"x2"});
  EXPECT_EQ(running.value({"x4"}), 2);
  EXPECT_EQ(metrics.render(),
            "# HELP resr_running Running tasks.\n"
            "# TYPE resr_running gauge\n"
            "resr_running{model=\"x2\"} 0.25\n"
            "resr_running{model=\"x4\"} 2\n");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithInclusiveBounds) {
  MetricsRegistry metrics;
  Histogram& seconds =
      metrics.add_histogram("resr_task_seconds", "Task duration.", {0.1, 1, 10}, {"method"});
  for (double v : {0.05, 0.1, 0.7, 3.0, 42.0}) seconds.observe(v, {"model"});
  seconds.observe(std::nan(""), {"lanczos"});
  EXPECT_EQ(metrics.render(),
            "# HELP resr_task_seconds Task duration.\n"
            "# TYPE resr_task_seconds histogram\n"
            "resr_task_seconds_bucket{method=\"lanczos\",le=\"0.1\"} 0\n"
            "resr_task_seconds_bucket{method=\"lanczos\",le=\"1\"} 0\n"
            "resr_task_seconds_bucket{method=\"lanczos\",le=\"10\"} 0\n"
            "resr_task_seconds_bucket{method=\"lanczos\",le=\"+Inf\"} 1\n"
            "resr_task_seconds_sum{method=\"lanczos\"} NaN\n"
            "resr_task_seconds_count{method=\"lanczos\"} 1\n"
            "resr_task_seconds_bucket{method=\"model\",le=\"0.1\"} 2\n"
            "resr_task_seconds_bucket{method=\"model\",le=\"1\"} 3\n"
            "resr_task_seconds_bucket{method=\"model\",le=\"10\"} 4\n"
            "resr_task_seconds_bucket{method=\"model\",le=\"+Inf\"} 5\n"
            "resr_task_seconds_sum{method=\"model\"} 45.85\n"
            "resr_task_seconds_count{method=\"model\"} 5\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelpText) {
  MetricsRegistry metrics;
  Counter& errors =
      metrics.add_counter("resr_errors_total", "Errors by \"reason\"\\path\nline 2", {"reason"});
  errors.inc({"bad \"quote\" C:\\dir\nnext"});
  EXPECT_EQ(metrics.render(),
            "# HELP resr_errors_total Errors by \"reason\"\\\\path\\nline 2\n"
            "# TYPE resr_errors_total counter\n"
            "resr_errors_total{reason=\"bad \\\"quote\\\" C:\\\\dir\\nnext\"} 1\n");
}

TEST(MetricsRegistry, NumbersReadBackExactlyAndInfinitiesUseTheFormatSpelling) {
  MetricsRegistry metrics;
  Gauge& g = metrics.add_gauge("g", "G.", {"k"});
  g.set(1e21, {"big"});
  g.set(-std::numeric_limits<double>::infinity(), {"neg"});
  g.set(0.1 + 0.2, {"sum"});
  EXPECT_EQ(metrics.render(),
            "# HELP g G.\n"
            "# TYPE g gauge\n"
            "g{k=\"big\"} 1e+21\n"
            "g{k=\"neg\"} -Inf\n"
            "g{k=\"sum\"} 0.30000000000000004\n");
}

TEST(MetricsRegistry, ProgrammingMistakesThrow) {
  MetricsRegistry metrics;
  Counter& c = metrics.add_counter("resr_c_total", "C.", {"route"});
  EXPECT_THROW(metrics.add_counter("resr_c_total", "again"), std::invalid_argument);
  EXPECT_THROW(metrics.add_gauge("9lives", "bad name"), std::invalid_argument);
  EXPECT_THROW(metrics.add_gauge("resr_g", "bad label", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(metrics.add_gauge("resr_g", "repeated label", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(metrics.add_histogram("resr_h", "le is the bucket label", {1}, {"le"}),
               std::invalid_argument);
  EXPECT_THROW(metrics.add_histogram("resr_h", "unsorted", {2, 1}), std::invalid_argument);
  EXPECT_THROW(c.inc({}), std::invalid_argument);
  EXPECT_THROW(c.inc({"a", "b"}), std::invalid_argument);
  EXPECT_THROW(c.inc({"a"}, -1), std::invalid_argument);
  EXPECT_EQ(c.value({"a"}), 0);
}

TEST(MetricsRegistry, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry metrics;
  Counter& c = metrics.add_counter("resr_c_total", "C.", {"thread"});
  Histogram& h = metrics.add_histogram("resr_h", "H.", {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        c.inc({std::to_string(t % 2)});
        h.observe(0.5);
        if (i % 1000 == 0) metrics.render();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(c.value({"0"}), 20000);
  EXPECT_EQ(c.value({"1"}), 20000);
  EXPECT_NE(metrics.render().find("resr_h_bucket{le=\"1\"} 40000\nresr_h_bucket{le=\"+Inf\"} "
                                  "40000\nresr_h_sum 20000\nresr_h_count 40000\n"),
            std::string::npos);
}

TEST(MetricsRegistry, ExponentialBuckets) {
  EXPECT_EQ(exponential_buckets(0.25, 2, 4), (std::vector<double>{0.25, 0.5, 1, 2}));
}

}  // namespace
}  // namespace resr
