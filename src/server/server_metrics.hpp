// What GET /metrics reports about the job server: requests, task durations,
// queue depth, failures and pixels processed, on top of MetricsRegistry.
#pragma once

#include <string>

#include "server/metrics_registry.hpp"
#include "server/task.hpp"

namespace resr {

class ServerMetrics {
 public:
  ServerMetrics();

  // One answered request; `route` is the route's OpenAPI path, or "unmatched".
  void request(const std::string& method, const std::string& route, int status, double seconds);
  void task_submitted();
  // A task that ended (success, failed or canceled); tasks put back in the
  // queue by a shutdown are not counted.
  void task_finished(const TaskRecord& task);
  // The exposition, with the gauges read now.
  std::string render(int queue_depth, bool running, int open_connections, bool ready);

 private:
  MetricsRegistry registry_;
  Counter& requests_;
  Histogram& request_seconds_;
  Counter& submitted_;
  Counter& finished_;
  Counter& failures_;
  Histogram& task_seconds_;
  Counter& input_pixels_;
  Counter& output_pixels_;
  Gauge& queue_depth_;
  Gauge& running_;
  Gauge& connections_;
  Gauge& ready_;
};

}  // namespace resr
