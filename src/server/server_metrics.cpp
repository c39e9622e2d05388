#include "server/server_metrics.hpp"

namespace resr {

ServerMetrics::ServerMetrics()
    : requests_(registry_.add_counter("resr_http_requests_total",
                                      "HTTP requests answered, by method, route and status.",
                                      {"method", "route", "status"})),
      request_seconds_(
          registry_.add_histogram("resr_http_request_duration_seconds",
                                  "Time from a request's headers to its response, by route.",
                                  exponential_buckets(0.0005, 4, 10), {"route"})),
      submitted_(registry_.add_counter("resr_tasks_submitted_total", "Tasks accepted.")),
      finished_(registry_.add_counter("resr_tasks_finished_total",
                                      "Tasks ended, by final status and method.",
                                      {"status", "method"})),
      failures_(registry_.add_counter("resr_task_failures_total", "Failed tasks, by error code.",
                                      {"code"})),
      task_seconds_(registry_.add_histogram("resr_task_duration_seconds",
                                            "Run time of finished tasks, by method.",
                                            exponential_buckets(0.01, 3, 10), {"method"})),
      input_pixels_(
          registry_.add_counter("resr_input_pixels_total", "Input pixels of successful tasks.")),
      output_pixels_(registry_.add_counter("resr_output_pixels_total",
                                           "Output pixels written by successful tasks.")),
      queue_depth_(registry_.add_gauge("resr_queue_depth", "Tasks waiting in the queue.")),
      running_(registry_.add_gauge("resr_tasks_running", "Tasks running now (0 or 1).")),
      connections_(
          registry_.add_gauge("resr_http_open_connections", "Client connections being served.")),
      ready_(registry_.add_gauge("resr_ready", "1 when accepting tasks, 0 while draining.")) {}

void ServerMetrics::request(const std::string& method, const std::string& route, int status,
                            double seconds) {
  requests_.inc({method, route, std::to_string(status)});
  request_seconds_.observe(seconds, {route});
}

void ServerMetrics::task_submitted() { submitted_.inc(); }

void ServerMetrics::task_finished(const TaskRecord& task) {
  if (!is_final(task.state)) return;
  finished_.inc({task_state_name(task.state), task.method});
  if (task.state == TaskState::kFailed) failures_.inc({task.error_code});
  if (task.state == TaskState::kSuccess) {
    task_seconds_.observe(task.finished_at - task.started_at, {task.method});
    input_pixels_.inc({}, static_cast<double>(task.input_width) * task.input_height);
    output_pixels_.inc({}, static_cast<double>(task.output_width) * task.output_height);
  }
}

std::string ServerMetrics::render(int queue_depth, bool running, int open_connections, bool ready) {
  queue_depth_.set(queue_depth);
  running_.set(running ? 1 : 0);
  connections_.set(open_connections);
  ready_.set(ready ? 1 : 0);
  return registry_.render();
}

}  // namespace resr
