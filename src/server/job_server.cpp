#include "server/job_server.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "resr/pending_file.hpp"
#include "server/cluster/redis_task_store.hpp"
#include "server/listen_exposure.hpp"
#include "server/tasks/sqlite_task_store.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

// Node names default to where and which process this is.
std::string default_node_id() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

// The embedded SQLite store, or with `queue` the cluster's Redis.
Result<std::unique_ptr<TaskStore>> open_task_store(const ServerConfig& config) {
  if (config.queue.empty()) {
    RESR_ASSIGN_OR_RETURN(auto sqlite, SqliteTaskStore::open(config.data_dir / "tasks.sqlite3"));
    return std::unique_ptr<TaskStore>(std::move(sqlite));
  }
  ClusterSettings cluster;
  RESR_ASSIGN_OR_RETURN(cluster.address, parse_redis_address(config.queue));
  cluster.node_id = config.node_id.empty() ? default_node_id() : config.node_id;
  cluster.max_value_bytes = config.cluster_result_max_bytes;
  cluster.shared_dir = config.shared_dir;
  cluster.claim_idle_seconds = config.cluster_claim_idle_seconds;
  cluster.max_deliveries = config.cluster_max_deliveries;
  cluster.result_ttl_seconds = static_cast<double>(config.result_ttl_seconds);
  cluster.inputs_dir = config.data_dir / "inputs";
  cluster.downloads_dir = config.data_dir / "results";
  RESR_ASSIGN_OR_RETURN(auto redis, RedisTaskStore::open(std::move(cluster)));
  return std::unique_ptr<TaskStore>(std::move(redis));
}

}  // namespace

Result<std::unique_ptr<JobServer>> JobServer::start(const ServerConfig& config) {
  RESR_RETURN_IF_ERROR(check_listen_exposure(config));
  std::unique_ptr<JobServer> server(new JobServer());
  server->config_ = config;
  const fs::path inputs = config.data_dir / "inputs";
  const fs::path results = config.data_dir / "results";
  for (const fs::path& dir : {inputs, results}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return error(ErrorCode::kIoError, "cannot create the data folder " + dir.string() + ": " +
                                            ec.message() + " (server setting data_dir)");
    }
    remove_stale_partial_files(dir);  // a killed server's unfinished uploads and results
  }
  RESR_ASSIGN_OR_RETURN(server->store_, open_task_store(config));
  RESR_ASSIGN_OR_RETURN(int recovered, server->store_->recover_interrupted(unix_now()));
  if (recovered > 0) {
    std::fprintf(stderr, "%d interrupted task(s) are queued again\n", recovered);
  }
  ModelRequest model;
  model.model = config.model;
  model.engine = config.engine.string();
  model.models_dir = config.models_dir.string();
  model.srvgg_activation = config.srvgg_activation;
  // An engine runs on the backend it was built for.
  if (model.engine.empty()) model.backend = config.backend;
  model.threads = config.threads;
  model.precision = config.precision;
  RESR_ASSIGN_OR_RETURN(server->runtime_, ModelRuntime::load(model));

  WorkerSettings settings;
  settings.execution.results_dir = results;
  settings.execution.limits = config.image_limits;
  settings.execution.tile_size = config.tile_size;
  settings.execution.tile_memory_bytes = config.tile_memory_bytes;
  settings.task_timeout_seconds = config.task_timeout_seconds;
  settings.result_ttl_seconds = static_cast<double>(config.result_ttl_seconds);
  server->metrics_ = std::make_unique<ServerMetrics>();
  server->worker_ = std::make_unique<TaskWorker>(
      *server->store_, *server->runtime_, settings,
      [metrics = server->metrics_.get()](const TaskRecord& task) { metrics->task_finished(task); });

  server->context_ = std::make_unique<ApiContext>();
  ApiContext& ctx = *server->context_;
  ctx.config = &server->config_;
  ctx.store = server->store_.get();
  ctx.worker = server->worker_.get();
  ctx.runtime = server->runtime_.get();
  ctx.metrics = server->metrics_.get();
  ctx.inputs_dir = inputs;

  HttpLimits limits;
  limits.max_connections = config.max_connections;
  limits.header_timeout_seconds = config.header_timeout_seconds;
  limits.read_timeout_seconds = config.read_timeout_seconds;
  limits.write_timeout_seconds = config.write_timeout_seconds;
  server->http_ = std::make_unique<BoundedHttpServer>(limits);
  ctx.http = server->http_.get();
  register_api_routes(*server->http_, ctx);
  // The body cap holds for bodies httplib reads itself, too.
  server->http_->set_payload_max_length(static_cast<size_t>(config.max_upload_bytes));
  server->port_ = server->http_->bind_and_listen(config.host, config.port);
  if (server->port_ <= 0) {
    return error(ErrorCode::kUnavailable,
                 "cannot listen on " + config.host + ":" + std::to_string(config.port) +
                     " (in use, or not an address of this machine); choose another with -p/--host");
  }
  server->worker_->start();
  server->listener_ = std::thread([http = server->http_.get()] { http->listen_after_bind(); });
  // Often enough that a short TTL is honoured within a quarter of it.
  const auto ttl_ms = std::chrono::milliseconds(config.result_ttl_seconds * 1000);
  server->sweeper_ = std::make_unique<ResultSweeper>(
      *server->store_,
      std::clamp(ttl_ms / 4, std::chrono::milliseconds(200), std::chrono::milliseconds(60'000)));
  return server;
}

JobServer::~JobServer() { stop(std::chrono::milliseconds(0)); }

void JobServer::drain() { context_->draining = true; }

void JobServer::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  // Also after a start that failed half way (a model that does not load).
  if (context_) drain();
  if (worker_) worker_->stop(grace);
  if (http_) http_->stop();
  if (listener_.joinable()) listener_.join();
  sweeper_.reset();
}

}  // namespace resr
