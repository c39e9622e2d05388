// The HTTP API of the job server: one table of routes, registered on the
// server and described by /openapi.json (a test checks that the two agree).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "server/http/bounded_http_server.hpp"
#include "server/http/server_metrics.hpp"
#include "server/server_config.hpp"
#include "server/tasks/model_runtime.hpp"
#include "server/tasks/task_store.hpp"
#include "server/tasks/task_worker.hpp"

namespace resr {

// What the handlers share; owned by the JobServer.
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

struct Route {
  std::string method;        // "GET", "POST", "DELETE"
  std::string openapi_path;  // "/result/{id}"
  std::string pattern;       // the httplib regex
  bool needs_token = true;
  std::function<void(ApiContext&, const httplib::Request&, httplib::Response&)> handler;
};

const std::vector<Route>& api_routes();

// Registers the routes, the token and body-size gate, problem+json errors and
// request metrics.
void register_api_routes(BoundedHttpServer& server, ApiContext& context);

}  // namespace resr
