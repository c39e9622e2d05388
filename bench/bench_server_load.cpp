// Load on the job server over real loopback HTTP:
//  1. while tasks run, `pollers` concurrent clients poll GET /result/{id}: p50, p99, max latency
//     (the goal: p99 under 50 ms);
//  2. `tasks` small tasks submitted at once from many clients: all complete, none lost, none
//     duplicated (distinct ids, each finished exactly once according to /metrics).
//
//   bench_server_load --model tests/data/golden/srvgg_prelu_x4.param [--pollers 100] [--tasks 500]
#include <httplib.h>
#include <vips/vips.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/scratch_directory.hpp"
#include "pipeline/vips_handle.hpp"
#include "pipeline/vips_runtime.hpp"
#include "server/job_server.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string png_of(int width, int height, bool noise) {
  VipsImage* made = nullptr;
  if (noise) {
    vips_gaussnoise(&made, width, height, "mean", 128.0, "sigma", 40.0, nullptr);
  } else {
    vips_black(&made, width, height, nullptr);
  }
  resr::VipsImagePtr one(made);
  VipsImage* rgb = nullptr;
  VipsImage* bands[3] = {one.get(), one.get(), one.get()};
  vips_bandjoin(bands, &rgb, 3, nullptr);
  resr::VipsImagePtr joined(rgb);
  VipsImage* cast = nullptr;
  vips_cast_uchar(joined.get(), &cast, nullptr);
  resr::VipsImagePtr bytes(cast);
  void* buffer = nullptr;
  size_t size = 0;
  vips_pngsave_buffer(bytes.get(), &buffer, &size, nullptr);
  std::string png(static_cast<const char*>(buffer), size);
  g_free(buffer);
  return png;
}

std::string submit(httplib::Client& client, const std::string& png,
                   const httplib::Params& fields = {}) {
  httplib::MultipartFormDataItems items = {{"file", png, "bench.png", "image/png"}};
  for (const auto& [k, v] : fields) items.push_back({k, v, "", ""});
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto res = client.Post("/sr", items);
    if (res && res->status == 202) return json::parse(res->body)["task_id"];
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // 429/503: retry
  }
  return "";
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

double metric(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series + " ");
  return at == std::string::npos ? 0 : std::atof(text.c_str() + at + series.size() + 2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model;
  int pollers = 100, polls_each = 50, tasks = 500;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--model") model = argv[i + 1];
    if (flag == "--pollers") pollers = std::atoi(argv[i + 1]);
    if (flag == "--polls") polls_each = std::atoi(argv[i + 1]);
    if (flag == "--tasks") tasks = std::atoi(argv[i + 1]);
  }
  if (model.empty()) {
    std::fprintf(stderr,
                 "usage: bench_server_load --model FILE [--pollers N] [--polls N] [--tasks N]\n");
    return 2;
  }
  if (!resr::ensure_vips().is_ok()) return 1;
  auto scratch = resr::ScratchDirectory::create("resr-bench-server");
  if (!scratch.is_ok()) return 1;
  resr::ServerConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.model = model;
  config.data_dir = scratch->path();
  config.max_connections = pollers + 32;  // every poller keeps its connection
  config.max_queue = tasks + 100;
  auto started = resr::JobServer::start(config);
  if (!started.is_ok()) {
    std::fprintf(stderr, "error: %s\n", started.status().message().c_str());
    return 1;
  }
  auto& server = *started.value();
  const int port = server.port();
  auto client = [port] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60);
    return c;
  };

  // 1. Status polls while the worker is busy.
  auto main_client = client();
  const std::string busy_png = png_of(384, 384, true);
  std::vector<std::string> busy;
  for (int i = 0; i < 4; ++i) busy.push_back(submit(main_client, busy_png, {{"tile_size", "32"}}));
  while (main_client.Get("/result/" + busy[0]).value().body.find("\"running\"") ==
         std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<double> latencies_ms;
  std::mutex mutex;
  std::atomic<int> failures{0};
  std::atomic<int> polled_while_running{0};
  const auto poll_start = Clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < pollers; ++p) {
    threads.emplace_back([&, p] {
      auto c = client();
      std::vector<double> mine;
      for (int i = 0; i < polls_each; ++i) {
        const auto t0 = Clock::now();
        auto res = c.Get("/result/" + busy[static_cast<size_t>(p + i) % busy.size()]);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!res || res->status != 200) {
          ++failures;
        } else if (res->body.find("\"running\"") != std::string::npos) {
          ++polled_while_running;
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double poll_seconds = std::chrono::duration<double>(Clock::now() - poll_start).count();
  const double p99 = percentile(latencies_ms, 0.99);
  std::printf(
      "status polls: %d clients x %d polls = %zu in %.2f s (%.0f/s) while tasks ran "
      "(%d answers said running), %d failed\n",
      pollers, polls_each, latencies_ms.size(), poll_seconds,
      static_cast<double>(latencies_ms.size()) / poll_seconds, polled_while_running.load(),
      failures.load());
  std::printf("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f   [goal p99 < 50: %s]\n",
              percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.9), p99,
              percentile(latencies_ms, 1.0), p99 < 50 ? "met" : "MISSED");
  for (const std::string& id : busy) main_client.Delete("/result/" + id);

  // 2. Many small tasks at once (counted apart from the busy tasks above).
  const char* kFinished = R"(resr_tasks_finished_total{method="realesrgan",status="success"})";
  const double finished_before = metric(main_client.Get("/metrics").value().body, kFinished);
  const std::string small_png = png_of(16, 16, true);
  std::vector<std::string> ids(static_cast<size_t>(tasks));
  const auto submit_start = Clock::now();
  threads.clear();
  const int submitters = 50;
  for (int s = 0; s < submitters; ++s) {
    threads.emplace_back([&, s] {
      auto c = client();
      for (int i = s; i < tasks; i += submitters)
        ids[static_cast<size_t>(i)] = submit(c, small_png);
    });
  }
  for (auto& t : threads) t.join();
  const double submit_seconds = std::chrono::duration<double>(Clock::now() - submit_start).count();
  int succeeded = 0, other = 0;
  for (const std::string& id : ids) {
    while (true) {
      auto res = main_client.Get("/result/" + id);
      const std::string status = res ? json::parse(res->body).value("status", "") : "";
      if (status == "success") {
        ++succeeded;
        break;
      }
      if (status != "queued" && status != "running") {
        ++other;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  const double all_seconds = std::chrono::duration<double>(Clock::now() - submit_start).count();
  const std::set<std::string> distinct(ids.begin(), ids.end());
  const std::string metrics = main_client.Get("/metrics").value().body;
  const double finished = metric(metrics, kFinished) - finished_before;
  std::printf(
      "small tasks: %d submitted from %d clients in %.2f s; all done after %.2f s "
      "(%.0f tasks/s)\n",
      tasks, submitters, submit_seconds, all_seconds, tasks / all_seconds);
  std::printf(
      "  succeeded %d, other %d, distinct ids %zu (empty: %d), finished once each per "
      "/metrics: %.0f   [goal all %d, none lost or duplicated: %s]\n",
      succeeded, other, distinct.size(), static_cast<int>(distinct.count("")), finished, tasks,
      succeeded == tasks && distinct.size() == static_cast<size_t>(tasks) && !distinct.count("") &&
              static_cast<int>(finished) == tasks
          ? "met"
          : "MISSED");
  server.stop(std::chrono::milliseconds(0));
  return 0;
}
