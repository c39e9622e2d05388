// What GET /metrics reports about the job server: requests, task durations,
// queue depth, failures and pixels processed, kept in a prometheus-cpp
// registry and rendered by its text serializer. Our own HTTP server serves
// the text; prometheus-cpp's exposer is not used.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

#include "server/tasks/task.hpp"

namespace resr {

// The text exposition format prometheus::TextSerializer writes.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Every method is thread-safe (prometheus-cpp's families and metrics are).
class ServerMetrics {
 public:
  ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // One answered request; `route` is the route's OpenAPI path, or "unmatched".
  void request(const std::string& method, const std::string& route, int status, double seconds);
  void task_submitted();
  // A task that ended (success, failed or canceled); tasks put back in the
  // queue by a shutdown are not counted.
  void task_finished(const TaskRecord& task);
  // The gauges, read at scrape time.
  struct Gauges {
    int queue_depth = 0;  // queued tasks
    int running = 0;      // tasks running
    int open_connections = 0;
    int queued_requests = 0;  // requests waiting for their turn to be served
    bool ready = false;
  };
  // The exposition, with the gauges given.
  std::string render(const Gauges& gauges);

 private:
  prometheus::Registry registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Counter& submitted_;
  prometheus::Family<prometheus::Counter>& finished_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Family<prometheus::Histogram>& task_seconds_;
  prometheus::Counter& input_pixels_;
  prometheus::Counter& output_pixels_;
  prometheus::Gauge& queue_depth_;
  prometheus::Gauge& running_;
  prometheus::Gauge& connections_;
  prometheus::Gauge& queued_requests_;
  prometheus::Gauge& ready_;
};

}  // namespace resr
