// What the HTTP handlers share; owned by the JobServer.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>

#include "server/http/bounded_http_server.hpp"
#include "server/http/server_metrics.hpp"
#include "server/server_config.hpp"
#include "server/tasks/model_runtime.hpp"
#include "server/tasks/task_store.hpp"
#include "server/tasks/task_worker.hpp"

namespace resr {

struct ApiContext {
  const ServerConfig* config = nullptr;
  TaskStore* store = nullptr;
  TaskWorker* worker = nullptr;
  ModelRuntime* runtime = nullptr;
  ServerMetrics* metrics = nullptr;
  const BoundedHttpServer* http = nullptr;
  std::filesystem::path inputs_dir;
  std::atomic<bool> draining{false};  // SIGTERM: not ready, no new tasks
};

// A route's handler.
using RouteHandler = std::function<void(ApiContext&, const httplib::Request&, httplib::Response&)>;

}  // namespace resr
