#include "server/http/server_metrics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace resr {
namespace {

TaskRecord ended(TaskState state, const std::string& method) {
  TaskRecord task;
  task.state = state;
  task.method = method;
  task.started_at = 100;
  task.finished_at = 100.5;
  return task;
}

// Whether the exposition holds `line` as one whole line.
bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(ServerMetrics, FreshServerReportsZerosAndTheGaugesGiven) {
  ServerMetrics metrics;
  const std::string text = metrics.render({.queue_depth = 3,
                                           .running = 2,
                                           .open_connections = 7,
                                           .queued_requests = 5,
                                           .ready = false});
  for (const std::string line :
       {"# TYPE resr_tasks_submitted_total counter", "resr_tasks_submitted_total 0",
        "resr_input_pixels_total 0", "resr_output_pixels_total 0", "# TYPE resr_queue_depth gauge",
        "resr_queue_depth 3", "resr_tasks_running 2", "resr_http_open_connections 7",
        "resr_http_queued_requests 5", "resr_ready 0"}) {
    EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
  }
  // Labelled families have no series before their first event.
  EXPECT_EQ(text.find("resr_http_requests_total{"), std::string::npos) << text;
}

TEST(ServerMetrics, RequestsCountByMethodRouteAndStatusWithLatencyBuckets) {
  ServerMetrics metrics;
  metrics.request("POST", "/sr", 202, 0.001);
  metrics.request("POST", "/sr", 202, 0.003);
  metrics.request("POST", "/sr", 429, 0.0001);
  const std::string text = metrics.render({.ready = true});
  for (const std::string line :
       {R"(resr_http_requests_total{method="POST",route="/sr",status="202"} 2)",
        R"(resr_http_requests_total{method="POST",route="/sr",status="429"} 1)",
        "# TYPE resr_http_request_duration_seconds histogram",
        R"(resr_http_request_duration_seconds_count{route="/sr"} 3)",
        R"(resr_http_request_duration_seconds_sum{route="/sr"} 0.0041)",
        // Buckets are cumulative and their bounds inclusive.
        R"(resr_http_request_duration_seconds_bucket{route="/sr",le="0.001"} 2)",
        R"(resr_http_request_duration_seconds_bucket{route="/sr",le="0.0025"} 2)",
        R"(resr_http_request_duration_seconds_bucket{route="/sr",le="0.005"} 3)",
        R"(resr_http_request_duration_seconds_bucket{route="/sr",le="60"} 3)",
        R"(resr_http_request_duration_seconds_bucket{route="/sr",le="+Inf"} 3)"}) {
    EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
  }
}

TEST(ServerMetrics, FinishedTasksCountByStatusAndOnlySuccessesAddPixelsAndDurations) {
  ServerMetrics metrics;
  metrics.task_submitted();
  metrics.task_submitted();
  metrics.task_submitted();
  TaskRecord success = ended(TaskState::kSuccess, "realesrgan");
  success.input_width = 12;
  success.input_height = 8;
  success.output_width = 48;
  success.output_height = 32;
  metrics.task_finished(success);
  TaskRecord failed = ended(TaskState::kFailed, "realesrgan");
  failed.error_code = "timeout";
  failed.input_width = 1000;
  failed.input_height = 1000;
  metrics.task_finished(failed);
  metrics.task_finished(ended(TaskState::kCanceled, "lanczos"));
  // Put back in the queue by a shutdown: not an end.
  metrics.task_finished(ended(TaskState::kQueued, "realesrgan"));
  const std::string text = metrics.render({.ready = true});
  for (const std::string line :
       {"resr_tasks_submitted_total 3",
        R"(resr_tasks_finished_total{method="realesrgan",status="success"} 1)",
        R"(resr_tasks_finished_total{method="realesrgan",status="failed"} 1)",
        R"(resr_tasks_finished_total{method="lanczos",status="canceled"} 1)",
        R"(resr_task_failures_total{code="timeout"} 1)", "resr_input_pixels_total 96",
        "resr_output_pixels_total 1536",
        R"(resr_task_duration_seconds_count{method="realesrgan"} 1)",
        R"(resr_task_duration_seconds_sum{method="realesrgan"} 0.5)",
        R"(resr_task_duration_seconds_bucket{method="realesrgan",le="0.25"} 0)",
        R"(resr_task_duration_seconds_bucket{method="realesrgan",le="0.5"} 1)",
        R"(resr_task_duration_seconds_bucket{method="realesrgan",le="+Inf"} 1)"}) {
    EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
  }
  EXPECT_EQ(text.find(R"(resr_task_duration_seconds_count{method="lanczos"})"), std::string::npos);
  EXPECT_EQ(text.find(R"(status="queued")"), std::string::npos);
}

TEST(ServerMetrics, ConcurrentRequestsAreAllCounted) {
  ServerMetrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 5000; ++i) {
        metrics.request("GET", "/result/{id}", 200, 0.001);
        if (i % 1000 == 0) metrics.render({.ready = true});
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::string text = metrics.render({.ready = true});
  EXPECT_TRUE(has_line(
      text, R"(resr_http_requests_total{method="GET",route="/result/{id}",status="200"} 20000)"))
      << text;
  EXPECT_TRUE(
      has_line(text, R"(resr_http_request_duration_seconds_count{route="/result/{id}"} 20000)"));
}

}  // namespace
}  // namespace resr
