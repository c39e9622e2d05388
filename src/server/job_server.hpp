// The persistent job server: the model loaded once, tasks in a SQLite store,
// a worker with two lanes (every task; synchronous requests only), the HTTP
// API, and expiry of old results.
//
//   RESR_ASSIGN_OR_RETURN(auto server, JobServer::start(config));
//   ... server->port() ...
//   server->drain();                          // SIGTERM: not ready, no new tasks
//   server->stop(std::chrono::seconds(30));   // the running task may finish
#pragma once

#include <chrono>
#include <memory>
#include <thread>

#include "resr/status.hpp"
#include "server/http/api_routes.hpp"
#include "server/http/bounded_http_server.hpp"
#include "server/http/server_metrics.hpp"
#include "server/server_config.hpp"
#include "server/tasks/model_runtime.hpp"
#include "server/tasks/result_sweeper.hpp"
#include "server/tasks/task_store.hpp"
#include "server/tasks/task_worker.hpp"

namespace resr {

class JobServer {
 public:
  // Creates the data folders, opens the store, puts interrupted tasks back in
  // the queue, loads the model and starts serving on config.host:config.port
  // (port 0: any free port). Errors: the store's, the model's, kUnavailable
  // when the address cannot be bound.
  static Result<std::unique_ptr<JobServer>> start(const ServerConfig& config);
  ~JobServer();

  int port() const { return port_; }
  const ModelRuntime& runtime() const { return *runtime_; }
  // Readiness goes false and new tasks get 503; queued tasks stay queued.
  void drain();
  // Lets the running task finish within `grace` (then it goes back to the
  // queue), stops the worker and the HTTP server.
  void stop(std::chrono::milliseconds grace);

 private:
  JobServer() = default;

  ServerConfig config_;
  std::unique_ptr<TaskStore> store_;
  std::unique_ptr<ModelRuntime> runtime_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<TaskWorker> worker_;
  std::unique_ptr<ApiContext> context_;
  std::unique_ptr<BoundedHttpServer> http_;
  std::unique_ptr<ResultSweeper> sweeper_;
  std::thread listener_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace resr
