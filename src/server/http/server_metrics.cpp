#include "server/http/server_metrics.hpp"

#include <prometheus/text_serializer.h>

namespace resr {
namespace {

// Decimal bounds, so `le` labels read as written. Requests: 1 ms to a
// minute, with 50 ms (the status-poll latency goal) among them; tasks: 50 ms
// to the default task timeout.
const prometheus::Histogram::BucketBoundaries kRequestBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60};
const prometheus::Histogram::BucketBoundaries kTaskBuckets = {0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                                              5,    10,  30,   60,  120, 300};

prometheus::Family<prometheus::Counter>& counter_family(prometheus::Registry& registry,
                                                        const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

prometheus::Gauge& gauge(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Family<prometheus::Histogram>& histogram_family(prometheus::Registry& registry,
                                                            const char* name, const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

}  // namespace

ServerMetrics::ServerMetrics()
    : requests_(counter_family(registry_, "resr_http_requests_total",
                               "HTTP requests answered, by method, route and status.")),
      request_seconds_(
          histogram_family(registry_, "resr_http_request_duration_seconds",
                           "Time from a request's headers to its response, by route.")),
      submitted_(
          counter_family(registry_, "resr_tasks_submitted_total", "Tasks accepted.").Add({})),
      finished_(counter_family(registry_, "resr_tasks_finished_total",
                               "Tasks ended, by final status and method.")),
      failures_(
          counter_family(registry_, "resr_task_failures_total", "Failed tasks, by error code.")),
      task_seconds_(histogram_family(registry_, "resr_task_duration_seconds",
                                     "Run time of successful tasks, by method.")),
      input_pixels_(
          counter_family(registry_, "resr_input_pixels_total", "Input pixels of successful tasks.")
              .Add({})),
      output_pixels_(counter_family(registry_, "resr_output_pixels_total",
                                    "Output pixels written by successful tasks.")
                         .Add({})),
      queue_depth_(gauge(registry_, "resr_queue_depth", "Tasks waiting in the queue.")),
      running_(
          gauge(registry_, "resr_tasks_running", "Tasks running now, queued and synchronous.")),
      connections_(
          gauge(registry_, "resr_http_open_connections", "Client connections being served.")),
      queued_requests_(gauge(registry_, "resr_http_queued_requests",
                             "Requests waiting for their turn to be served.")),
      ready_(gauge(registry_, "resr_ready", "1 when accepting tasks, 0 while draining.")) {}

void ServerMetrics::request(const std::string& method, const std::string& route, int status,
                            double seconds) {
  requests_.Add({{"method", method}, {"route", route}, {"status", std::to_string(status)}})
      .Increment();
  request_seconds_.Add({{"route", route}}, kRequestBuckets).Observe(seconds);
}

void ServerMetrics::task_submitted() { submitted_.Increment(); }

void ServerMetrics::task_finished(const TaskRecord& task) {
  if (!is_final(task.state)) return;
  finished_.Add({{"status", task_state_name(task.state)}, {"method", task.method}}).Increment();
  if (task.state == TaskState::kFailed) failures_.Add({{"code", task.error_code}}).Increment();
  if (task.state == TaskState::kSuccess) {
    task_seconds_.Add({{"method", task.method}}, kTaskBuckets)
        .Observe(task.finished_at - task.started_at);
    input_pixels_.Increment(static_cast<double>(task.input_width) * task.input_height);
    output_pixels_.Increment(static_cast<double>(task.output_width) * task.output_height);
  }
}

std::string ServerMetrics::render(const Gauges& gauges) {
  queue_depth_.Set(gauges.queue_depth);
  running_.Set(gauges.running);
  connections_.Set(gauges.open_connections);
  queued_requests_.Set(gauges.queued_requests);
  ready_.Set(gauges.ready ? 1 : 0);
  return prometheus::TextSerializer().Serialize(registry_.Collect());
}

}  // namespace resr
