// Load on the job server as it runs in production: the real binary
// (`real-esrgan-serve server start`, a real model) in its own process on a
// loopback port, the clients in this one, over real HTTP.
//  1. `pollers` concurrent clients poll GET /result/{id}, first with the
//     worker idle, then while tasks run: p50, p95, p99 and max latency seen by
//     the clients, failures by status, the server's own request histogram and
//     the CPU both processes used (the goal: p99 under 50 ms while tasks run).
//     Three ways of polling, each idle and busy:
//       - every 100 ms per client on a new connection (a dashboard or curl in
//         a loop: ten polls a second each);
//       - back to back on a new connection per poll;
//       - back to back on one kept-alive connection per client.
//     Back to back is a closed loop on the same two cores as the server: it
//     measures throughput as much as latency (100 clients that never pause
//     wait 100 / throughput on average). --interval-ms and --keep-alive pick
//     one way instead of all three.
//     When `wrk` is installed (Debian package wrk: an event-driven load
//     generator, 2 threads for 100 connections), it polls too, idle and busy,
//     as a cross-check with a client that is not 100 threads.
//  2. `tasks` small tasks submitted at once from many clients: all complete,
//     none lost, none duplicated (distinct ids, each finished exactly once
//     according to /metrics).
//
//   bench_server_load [--model realesr-general-x4v3] [--threads 0] [--pollers 100]
//                     [--polls 50 (paced), 200 (back to back)] [--keep-alive 0|1]
//                     [--interval-ms N] [--tasks 500] [--binary PATH]
// The model is a name (found through REAL_ESRGAN_MODELS) or a file. The
// machine's load average is printed before and after: other processes on the
// same cores change the figures. Exit code 0 when every goal is met, else 3.
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vips/vips.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/scratch_directory.hpp"
#include "image/vips_handle.hpp"
#include "image/vips_runtime.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace fs = std::filesystem;

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

// CPU seconds (user + system) a process has used so far.
double process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field && i <= 15; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Busy and total CPU seconds of the whole machine so far (/proc/stat).
std::pair<double, double> machine_cpu_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  double busy = 0, total = 0, value = 0;
  for (int i = 0; i < 8 && in >> value; ++i) {  // user nice system idle iowait irq softirq steal
    total += value;
    if (i != 3 && i != 4) busy += value;
  }
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  return {busy / tick, total / tick};
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// `real-esrgan-serve server start -p 0` with its output in `log`; the port
// comes from the address file it writes once it listens.
class ServerProcess {
 public:
  ServerProcess(const std::string& binary, std::vector<std::string> args,
                std::vector<std::string> env, const fs::path& data_dir, const fs::path& log) {
    std::vector<std::string> argv_storage = {binary,      "server",     "start",
                                             "-p",        "0",          "--host",
                                             "127.0.0.1", "--data-dir", data_dir.string()};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0) {
      pid_ = 0;
    }
    posix_spawn_file_actions_destroy(&actions);
    const fs::path address = data_dir / "server.pid.address";
    for (int i = 0; pid_ > 0 && i < 600 && port_ == 0; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        break;
      }
      std::ifstream in(address);
      std::string text;
      std::getline(in, text);
      if (text.find(':') != std::string::npos) {
        port_ = std::atoi(text.substr(text.rfind(':') + 1).c_str());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~ServerProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    kill(pid_, SIGTERM);  // a second signal: no drain, the bench is over
    waitpid(pid_, nullptr, 0);
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
  int port_ = 0;
};

// How each client polls: every `interval_ms` (0: back to back), on one
// kept-alive connection or a new one per poll, `polls_each` times.
struct PollMode {
  int interval_ms;
  bool keep_alive;
  int polls_each;
};

struct PollFigures {
  double p99_ms = 0;
  int failures = 0;
};

// `pollers` clients poll GET /result/{id} back to back over `ids`,
// `polls_each` times, each on a new connection (as curl in a loop does) or,
// with `keep_alive`, on one kept-alive connection. Back to back when
// `interval_ms` is 0 (a closed loop: latency is then 100 clients / the
// server's throughput), else each client polls every `interval_ms`, the
// clients spread evenly over the interval. Prints what
// the clients saw, the server's own request histogram for those polls, and
// the CPU both processes used.
PollFigures poll_phase(const char* title, int port, pid_t server_pid,
                       const std::vector<std::string>& ids, int pollers, const PollMode& mode) {
  const int interval_ms = mode.interval_ms, polls_each = mode.polls_each;
  const bool keep_alive = mode.keep_alive;
  auto scrape = [port] {
    httplib::Client c("127.0.0.1", port);
    return c.Get("/metrics").value().body;
  };
  const std::string metrics_before = scrape();
  std::vector<double> latencies_ms;
  std::mutex mutex;
  std::atomic<int> failures{0};
  std::atomic<int> running_answers{0};
  std::map<int, int> failed_by_status;  // 0: no response
  const double server_cpu_before = process_cpu_seconds(server_pid);
  const auto machine_before = machine_cpu_seconds();
  rusage self_before{};
  getrusage(RUSAGE_SELF, &self_before);
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < pollers; ++p) {
    threads.emplace_back([&, p] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(60);
      c.set_keep_alive(keep_alive);
      std::vector<double> mine;
      const auto interval = std::chrono::milliseconds(interval_ms);
      auto next = Clock::now() + interval * p / pollers;
      for (int i = 0; i < polls_each; ++i) {
        std::this_thread::sleep_until(next);
        next += interval;
        const auto t0 = Clock::now();
        auto res = c.Get("/result/" + ids[static_cast<size_t>(p + i) % ids.size()]);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!res || res->status != 200) {
          ++failures;
          std::lock_guard<std::mutex> lock(mutex);
          ++failed_by_status[res ? res->status : 0];
        } else if (res->body.find("\"running\"") != std::string::npos) {
          ++running_answers;
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rusage self_after{};
  getrusage(RUSAGE_SELF, &self_after);
  const double server_cpu = process_cpu_seconds(server_pid) - server_cpu_before;
  const auto machine_after = machine_cpu_seconds();
  const double machine_busy = machine_after.first - machine_before.first;
  const double machine_total = machine_after.second - machine_before.second;
  auto cpu_of = [](const rusage& r) {
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };
  const double client_cpu = cpu_of(self_after) - cpu_of(self_before);
  const std::string metrics_after = scrape();
  PollFigures figures{percentile(latencies_ms, 0.99), failures.load()};
  std::printf(
      "status polls, %s, %s, %s: %d clients x %d polls = %zu in %.2f s (%.0f/s); %d "
      "answers said running; %d failed\n",
      title, keep_alive ? "kept-alive connections" : "a connection per poll",
      interval_ms == 0 ? "back to back" : ("every " + std::to_string(interval_ms) + " ms").c_str(),
      pollers, polls_each, latencies_ms.size(), seconds,
      static_cast<double>(latencies_ms.size()) / seconds, running_answers.load(), figures.failures);
  for (const auto& [status, count] : failed_by_status) {
    std::printf("  failed: %d with %s\n", count,
                status == 0 ? "no response" : ("status " + std::to_string(status)).c_str());
  }
  std::printf("  client latency ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f   [goal p99 < 50: %s]\n",
              percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.95), figures.p99_ms,
              percentile(latencies_ms, 1.0),
              figures.p99_ms < 50 && figures.failures == 0 ? "met" : "MISSED");
  // The server's own view (headers read to response written), from its histogram.
  auto served_within = [&](const std::string& le) {
    const std::string series =
        R"(resr_http_request_duration_seconds_bucket{route="/result/{id}",le=")" + le + "\"}";
    return metric(metrics_after, series) - metric(metrics_before, series);
  };
  const double served = served_within("+Inf");
  std::printf(
      "  server-side: %.0f polls, %.1f%% within 5 ms, %.1f%% within 50 ms; CPU used: server "
      "%.2f s, clients %.2f s, other processes %.2f s, idle %.2f s\n",
      served, served > 0 ? 100 * served_within("0.005") / served : 0.0,
      served > 0 ? 100 * served_within("0.05") / served : 0.0, server_cpu, client_cpu,
      std::max(0.0, machine_busy - server_cpu - client_cpu), machine_total - machine_busy);
  return figures;
}

// What a command printed on its standard output.
std::string output_of(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    pclose(pipe);
  }
  return out;
}

// wrk's "2.29ms" / "850.00us" / "1.02s" in milliseconds.
double wrk_milliseconds(const std::string& token) {
  char* end = nullptr;
  const double value = std::strtod(token.c_str(), &end);
  const std::string unit = end;
  return unit == "us" ? value / 1000 : unit == "ms" ? value : value * 1000;
}

// The `index`-th field (0: the label) of the line of wrk's report that starts
// with `label`, in milliseconds; -1 when absent.
double wrk_field(const std::string& text, const std::string& label, int index) {
  const size_t at = text.find("\n" + label);
  if (at == std::string::npos) return -1;
  std::istringstream line(text.substr(at + 1, text.find('\n', at + 1) - at - 1));
  std::string token;
  for (int i = 0; i <= index && line >> token; ++i) {
  }
  return token.empty() ? -1 : wrk_milliseconds(token);
}

// The same polls from wrk (event-driven: 2 threads for all connections, kept
// alive), 5 seconds, when it is installed.
void wrk_phase(const char* title, int port, int connections, const std::string& target) {
  if (output_of("command -v wrk").empty()) {
    std::printf("wrk, %s: not installed (apt-get install wrk), skipped\n", title);
    return;
  }
  const std::string text =
      output_of("wrk -t2 -c" + std::to_string(connections) +
                " -d5s --latency http://127.0.0.1:" + std::to_string(port) + target + " 2>&1");
  const size_t rate_at = text.find("Requests/sec:");
  const size_t bad_at = text.find("Non-2xx or 3xx responses:");
  const double p99 = wrk_field(text, "     99%", 1);
  std::printf(
      "wrk, %s: %d kept-alive connections back to back, 5 s: %.0f polls/s; latency ms p50 "
      "%.2f  p90 %.2f  p99 %.2f  max %.2f; non-2xx %d   [goal p99 < 50: %s]\n",
      title, connections,
      rate_at == std::string::npos ? 0.0 : std::atof(text.c_str() + rate_at + 13),
      wrk_field(text, "     50%", 1), wrk_field(text, "     90%", 1), p99,
      wrk_field(text, "    Latency", 3),
      bad_at == std::string::npos ? 0 : std::atoi(text.c_str() + bad_at + 26),
      p99 >= 0 && p99 < 50 && bad_at == std::string::npos ? "met" : "MISSED");
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = "realesr-general-x4v3", binary = RESR_BINARY, model_threads = "0";
  int pollers = 100, polls_each = 0, tasks = 500;
  int keep_alive = -1, interval_ms = -1;  // -1: every way of polling
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--keep-alive") keep_alive = std::string(argv[i + 1]) == "1";
    if (flag == "--interval-ms") interval_ms = std::max(0, std::atoi(argv[i + 1]));
    if (flag == "--model") model = argv[i + 1];
    if (flag == "--binary") binary = argv[i + 1];
    if (flag == "--threads") model_threads = argv[i + 1];
    if (flag == "--pollers") pollers = std::atoi(argv[i + 1]);
    if (flag == "--polls") polls_each = std::atoi(argv[i + 1]);
    if (flag == "--tasks") tasks = std::atoi(argv[i + 1]);
  }
  if (argc % 2 == 0 || pollers < 1 || polls_each < 0 || tasks < 1) {
    std::fprintf(stderr,
                 "usage: bench_server_load [--model NAME|FILE] [--threads N] [--pollers N] "
                 "[--polls N] [--keep-alive 0|1] [--interval-ms N] [--tasks N] [--binary PATH]\n");
    return 2;
  }
  if (!resr::ensure_vips().is_ok()) return 1;
  auto scratch = resr::ScratchDirectory::create("resr-bench-server");
  if (!scratch.is_ok()) return 1;
  std::printf("load average before: %s (%u cores)\n", load_average().c_str(),
              std::thread::hardware_concurrency());
  const fs::path log = scratch->path() / "server.log";
  ServerProcess server(
      binary, {"-m", model, "-j", model_threads},
      {"REAL_ESRGAN_SERVE_MAX_CONNECTIONS=" + std::to_string(pollers + 32),  // pollers keep theirs
       "REAL_ESRGAN_SERVE_MAX_QUEUE=" + std::to_string(tasks + 100)},
      scratch->path() / "data", log);
  if (server.port() <= 0) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    std::fprintf(stderr, "error: the server did not start:\n%s", text.str().c_str());
    return 1;
  }
  const int port = server.port();
  auto client = [port] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60);
    return c;
  };
  auto main_client = client();
  std::printf("server: %s", json::parse(main_client.Get("/health").value().body).dump().c_str());
  std::printf("\n");

  // 1. Status polls: first with the worker idle (the server's own cost), then
  // with enough large tasks queued that the model runs for the whole phase
  // (checked at its end).
  std::vector<PollMode> modes;
  for (const PollMode& mode :
       {PollMode{100, false, 50}, PollMode{0, false, 200}, PollMode{0, true, 200}}) {
    if (interval_ms >= 0 && (interval_ms == 0) != (mode.interval_ms == 0)) continue;
    if (keep_alive >= 0 && (keep_alive == 1) != mode.keep_alive) continue;
    modes.push_back({interval_ms > 0 ? interval_ms : mode.interval_ms, mode.keep_alive,
                     polls_each > 0 ? polls_each : mode.polls_each});
  }
  const std::string done = submit(main_client, png_of(16, 16, true));
  while (main_client.Get("/result/" + done).value().body.find("\"success\"") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (const PollMode& mode : modes) {
    poll_phase("worker idle", port, server.pid(), {done}, pollers, mode);
  }
  const std::string wrk_target = "/result/" + done;
  wrk_phase("worker idle", port, pollers, wrk_target);
  const std::string busy_png = png_of(384, 384, true);
  std::vector<std::string> busy;
  for (int i = 0; i < 32; ++i) busy.push_back(submit(main_client, busy_png, {{"tile_size", "64"}}));
  while (main_client.Get("/result/" + busy[0]).value().body.find("\"running\"") ==
         std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  bool busy_goals_met = true;
  for (const PollMode& mode : modes) {
    const PollFigures figures =
        poll_phase("while tasks run", port, server.pid(), busy, pollers, mode);
    const bool busy_throughout =
        metric(main_client.Get("/metrics").value().body, "resr_tasks_running") == 1;
    std::printf("  a task still ran at the end: %s\n",
                busy_throughout ? "yes" : "NO (too few busy tasks for this phase)");
    busy_goals_met =
        busy_goals_met && busy_throughout && figures.p99_ms < 50 && figures.failures == 0;
  }
  wrk_phase("while tasks run", port, pollers, wrk_target);
  for (const std::string& id : busy) main_client.Delete("/result/" + id);
  // The running one stops at its next tile (or finishes): wait, so it is not
  // counted below.
  while (metric(main_client.Get("/metrics").value().body, "resr_tasks_running") != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  // 2. Many small tasks at once (counted apart from the busy tasks above).
  const char* kFinished = R"(resr_tasks_finished_total{method="realesrgan",status="success"})";
  const double finished_before = metric(main_client.Get("/metrics").value().body, kFinished);
  const std::string small_png = png_of(16, 16, true);
  std::vector<std::string> ids(static_cast<size_t>(tasks));
  const auto submit_start = Clock::now();
  std::vector<std::thread> threads;
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
  const double finished =
      metric(main_client.Get("/metrics").value().body, kFinished) - finished_before;
  std::printf(
      "small tasks: %d submitted from %d clients in %.2f s; all done after %.2f s "
      "(%.0f tasks/s)\n",
      tasks, submitters, submit_seconds, all_seconds, tasks / all_seconds);
  const bool all_once = succeeded == tasks && distinct.size() == static_cast<size_t>(tasks) &&
                        !distinct.count("") && static_cast<int>(finished) == tasks;
  std::printf(
      "  succeeded %d, other %d, distinct ids %zu (empty: %d), finished once each per "
      "/metrics: %.0f   [goal all %d, none lost or duplicated: %s]\n",
      succeeded, other, distinct.size(), static_cast<int>(distinct.count("")), finished, tasks,
      all_once ? "met" : "MISSED");
  std::printf("load average after: %s\n", load_average().c_str());
  // 0 when both goals are met, for scripts.
  return busy_goals_met && all_once ? 0 : 3;
}
