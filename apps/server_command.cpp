#include "server_command.hpp"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "runtime_options.hpp"
#include "server/job_server.hpp"
#include "server/process/daemon.hpp"
#include "server/process/pid_file.hpp"
#include "server/server_config.hpp"

namespace resr {

namespace {

struct ServerArguments {
  std::string config_file;
  // Flags override the file and the environment only when given.
  ServerConfig flags;
  bool daemon = false;
  bool json = false;
  int stop_timeout_seconds = 0;
  CLI::Option* port = nullptr;
  CLI::Option* host = nullptr;
  CLI::Option* allow_open_server = nullptr;
  // -m, --models-dir, --srvgg-activation, -e, --backend, -j, --precision: as the CLI's.
  RuntimeOptions runtime;
  CLI::Option* model = nullptr;
  CLI::Option* engine = nullptr;
  CLI::Option* models_dir = nullptr;
  CLI::Option* srvgg_activation = nullptr;
  CLI::Option* backend = nullptr;
  CLI::Option* gpu_id = nullptr;
  CLI::Option* threads = nullptr;
  CLI::Option* precision = nullptr;
  CLI::Option* data_dir = nullptr;
  CLI::Option* pid_file = nullptr;
  CLI::Option* log_file = nullptr;
  CLI::Option* queue = nullptr;
  CLI::Option* node_id = nullptr;
};

bool given(const CLI::Option* option) { return option != nullptr && option->count() > 0; }

Result<ServerConfig> effective_config(const ServerArguments& args) {
  RESR_ASSIGN_OR_RETURN(ServerConfig config,
                        load_server_config(args.config_file, server_environment()));
  const ServerConfig& f = args.flags;
  if (given(args.port)) config.port = f.port;
  if (given(args.host)) config.host = f.host;
  if (given(args.allow_open_server)) config.allow_open_server = true;
  const RuntimeOptions& r = args.runtime;
  if (given(args.model)) config.model = r.model.model;
  if (given(args.engine)) config.engine = r.engine;
  if (given(args.models_dir)) config.models_dir = r.model.models_dir;
  if (given(args.srvgg_activation)) config.srvgg_activation = r.model.srvgg_activation;
  if (given(args.backend)) config.backend = r.backend;
  if (given(args.gpu_id)) config.gpu_id = f.gpu_id;
  if (given(args.threads)) config.threads = r.threads;
  if (given(args.precision)) config.precision = r.precision;
  if (given(args.data_dir)) config.data_dir = f.data_dir;
  if (given(args.pid_file)) config.pid_file = f.pid_file;
  if (given(args.log_file)) config.log_file = f.log_file;
  if (given(args.queue)) config.queue = f.queue;
  if (given(args.node_id)) config.node_id = f.node_id;
  return config;
}

// Signals go to one thread that waits for them, so handlers need no async-safety tricks.
sigset_t server_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);  // the stopping thread: done
  return set;
}

int serve(const ServerArguments& args) {
  auto config = effective_config(args);
  if (!config.is_ok()) return report_error(config.status());
  if (config->gpu_id >= 0) {
    return report_error(error(ErrorCode::kUnavailable,
                              "GPU " + std::to_string(config->gpu_id) +
                                  " requested, but this build has no GPU backend; omit --gpu-id"));
  }
  std::optional<DaemonReporter> reporter;
  if (args.daemon) {
    const auto log_file =
        config->log_file.empty() ? config->data_dir / "server.log" : config->log_file;
    auto detached = daemonize(log_file);
    if (!detached.is_ok()) return report_error(detached.status());
    reporter.emplace(std::move(detached).value());
  }
  auto fail = [&reporter](const Status& status) {
    if (reporter) reporter->failed(status);
    return report_error(status);
  };
  const sigset_t signals = server_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // every thread started below inherits it
  signal(SIGPIPE, SIG_IGN);

  auto pid_file = PidFile::acquire(config->effective_pid_file());
  if (!pid_file.is_ok()) return fail(pid_file.status());
  auto server = JobServer::start(*config);
  if (!server.is_ok()) return fail(server.status());
  if (Status s = pid_file->write_address(config->host, (*server)->port()); !s.is_ok()) {
    return fail(s);
  }
  const ModelInfo& info = (*server)->runtime().model().info;
  const std::string serving =
      "serving " + (*server)->runtime().name() + " (" + info.arch + " x" +
      std::to_string(info.scale) + ", " + (*server)->runtime().model().backend + " " +
      precision_name((*server)->runtime().model().precision) + ", " +
      std::to_string((*server)->runtime().threads()) + " threads) on http://" + config->host + ":" +
      std::to_string((*server)->port()) + " (PID " + std::to_string(getpid()) + ")";
  std::fprintf(stderr, "%s\n", serving.c_str());
  if (config->token.empty()) {
    std::fprintf(stderr,
                 "warning: no API token is set (setting token, or REAL_ESRGAN_SERVE_TOKEN): "
                 "anyone who reaches %s:%d can use this server\n",
                 config->host.c_str(), (*server)->port());
  }
  if (reporter) reporter->started(serving);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr,
               "signal %d: draining (the running task has %d s; a second signal exits at once)\n",
               sig, config->drain_grace_seconds);
  (*server)->drain();
  const pthread_t main_thread = pthread_self();
  std::thread stopper([&] {
    (*server)->stop(std::chrono::seconds(config->drain_grace_seconds));
    pthread_kill(main_thread, SIGUSR1);
  });
  sigwait(&signals, &sig);
  if (sig == SIGUSR1) {
    stopper.join();
    std::fprintf(stderr, "stopped\n");
    return 0;
  }
  std::fprintf(stderr, "second signal: exiting now; unfinished tasks run at the next start\n");
  std::_Exit(130);
}

int stop(const ServerArguments& args) {
  auto config = effective_config(args);
  if (!config.is_ok()) return report_error(config.status());
  const auto path = config->effective_pid_file();
  const ServerProcess process = probe_pid_file(path);
  if (!process.refusal.empty()) {
    return report_error(error(ErrorCode::kInvalidArgument, process.refusal));
  }
  if (!process.running) {
    std::printf(
        "no server is running%s\n",
        process.stale
            ? (" (removed the stale PID file of PID " + std::to_string(process.pid) + ")").c_str()
            : "");
    return 0;
  }
  if (kill(process.pid, SIGTERM) != 0) {
    return report_error(
        error(ErrorCode::kUnavailable, "cannot signal PID " + std::to_string(process.pid)));
  }
  const int timeout =
      args.stop_timeout_seconds > 0 ? args.stop_timeout_seconds : config->drain_grace_seconds + 30;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!probe_pid_file(path).running) {
      std::printf("stopped the server (PID %d)\n", static_cast<int>(process.pid));
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return report_error(
      error(ErrorCode::kUnavailable, "the server (PID " + std::to_string(process.pid) +
                                         ") did not stop within " + std::to_string(timeout) +
                                         " s; it may still be finishing a task"));
}

int status(const ServerArguments& args) {
  auto config = effective_config(args);
  if (!config.is_ok()) return report_error(config.status());
  const ServerProcess process = probe_pid_file(config->effective_pid_file());
  if (!process.refusal.empty()) {
    return report_error(error(ErrorCode::kInvalidArgument, process.refusal));
  }
  nlohmann::json out = {{"running", process.running}, {"pid", process.pid}};
  if (process.running) {
    std::string host = process.address.substr(0, process.address.rfind(':'));
    const int port = std::atoi(process.address.substr(process.address.rfind(':') + 1).c_str());
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    httplib::Client client(host, port);
    client.set_connection_timeout(2);
    client.set_read_timeout(5);
    httplib::Headers headers;
    if (!config->token.empty()) headers.emplace("X-Token", config->token);
    auto res = client.Get("/health", headers);
    out["address"] = process.address;
    out["health"] = res && res->status == 200 ? nlohmann::json::parse(res->body, nullptr, false)
                                              : nlohmann::json(nullptr);
  }
  if (args.json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else if (!process.running) {
    std::printf("not running%s\n", process.stale ? " (removed a stale PID file)" : "");
  } else if (out["health"].is_null()) {
    std::printf("running (PID %d) on %s, but /health does not answer\n",
                static_cast<int>(process.pid), process.address.c_str());
  } else {
    const auto& h = out["health"];
    std::printf("running (PID %d) on http://%s: model %s, backend %s, %d queued, %s\n",
                static_cast<int>(process.pid), process.address.c_str(),
                h["model"]["name"].get<std::string>().c_str(),
                h["backend"].get<std::string>().c_str(), h["queue_depth"].get<int>(),
                h["status"].get<std::string>().c_str());
  }
  // As LSB init scripts: 3 when not running.
  return process.running ? 0 : exit_code_for(ErrorCode::kNotFound);
}

void add_common_options(CLI::App& cmd, ServerArguments& a) {
  cmd.add_option("--config", a.config_file,
                 "TOML settings file (see docs/server-config.md); REAL_ESRGAN_SERVE_* "
                 "variables override it, flags override both");
  a.data_dir = cmd.add_option("--data-dir", a.flags.data_dir, "task store and results folder");
  a.pid_file =
      cmd.add_option("--pid-file", a.flags.pid_file, "PID file (default: DATA_DIR/server.pid)");
}

}  // namespace

void add_server_command(CLI::App& app, int& exit_code) {
  CLI::App* server = app.add_subcommand("server", "The persistent HTTP job server");
  server->require_subcommand(1);

  auto start_args = std::make_shared<ServerArguments>();
  ServerArguments& a = *start_args;
  CLI::App* start = server->add_subcommand("start", "Load the model once and serve until stopped");
  add_common_options(*start, a);
  a.port = start->add_option("-p,--port", a.flags.port, "TCP port (0: any free port)")
               ->check(CLI::Range(0, 65535));
  a.host = start->add_option("--host", a.flags.host, "address to listen on");
  a.allow_open_server =
      start->add_flag("--allow-open-server", a.flags.allow_open_server,
                      "listen beyond loopback without a token (anyone who reaches it can use it)");
  a.runtime.add_to(*start);
  a.model = start->get_option("--model");
  a.engine = start->get_option("--engine");
  a.models_dir = start->get_option("--models-dir");
  a.srvgg_activation = start->get_option("--srvgg-activation");
  a.backend = start->get_option("--backend");
  a.threads = start->get_option("--threads");
  a.precision = start->get_option("--precision");
  a.gpu_id = start->add_option("-g,--gpu-id", a.flags.gpu_id, "GPU (this build has none)")
                 ->check(CLI::Range(-1, 1024));
  a.log_file = start->add_option("--log-file", a.flags.log_file,
                                 "with --daemon: log here (default: DATA_DIR/server.log)");
  a.queue = start->add_option("--queue", a.flags.queue,
                              "cluster mode: the shared task queue, redis://HOST:PORT[/DB] "
                              "(docs/cluster.md)");
  a.node_id = start->add_option("--node-id", a.flags.node_id,
                                "cluster mode: this node's name (default: HOSTNAME-PID)");
  start->add_flag("--daemon", a.daemon, "detach, write the PID file and log to a file");
  start->callback([start_args, &exit_code] { exit_code = serve(*start_args); });

  auto stop_args = std::make_shared<ServerArguments>();
  CLI::App* stop_cmd =
      server->add_subcommand("stop", "SIGTERM the server in the PID file and wait");
  add_common_options(*stop_cmd, *stop_args);
  stop_cmd
      ->add_option("--timeout", stop_args->stop_timeout_seconds,
                   "seconds to wait (default: drain grace + 30)")
      ->check(CLI::Range(0, 86400));
  stop_cmd->callback([stop_args, &exit_code] { exit_code = stop(*stop_args); });

  auto status_args = std::make_shared<ServerArguments>();
  CLI::App* status_cmd =
      server->add_subcommand("status", "Whether a server runs and what it serves");
  add_common_options(*status_cmd, *status_args);
  status_cmd->add_flag("--json", status_args->json, "machine-readable output on stdout");
  status_cmd->callback([status_args, &exit_code] { exit_code = status(*status_args); });
}

}  // namespace resr
