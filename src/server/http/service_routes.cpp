#include "server/http/service_routes.hpp"

#include "server/http/json_response.hpp"
#include "server/http/openapi_document.hpp"
#include "server/http/problem_response.hpp"
#include "server/http/ui_route.hpp"

namespace resr {

using nlohmann::json;

void get_info(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (prefers_html(req)) return get_ui_page(ctx, req, res);
  set_json(res, 200,
           {{"name", "real-esrgan-serve"},
            {"version", RESR_VERSION},
            {"model", ctx.runtime->name()},
            {"docs", "/openapi.json"}});
}

void get_health(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  const ModelInfo& info = ctx.runtime->model().info;
  Result<int> queued = ctx.store->queued_count();
  const std::optional<RunningTask> running = ctx.worker->running();
  set_json(res, 200,
           {{"status", ctx.draining ? "draining" : "ok"},
            {"version", RESR_VERSION},
            {"model",
             {{"name", ctx.runtime->name()},
              {"arch", info.arch},
              {"scale", info.scale},
              {"loaded", true}}},
            {"backend", ctx.runtime->model().backend},
            {"precision", precision_name(ctx.runtime->model().precision)},
            {"threads", ctx.runtime->threads()},
            {"queue_depth", queued.is_ok() ? *queued : -1},
            {"running", running ? json(running->id) : json(nullptr)}});
}

void get_livez(ApiContext&, const httplib::Request&, httplib::Response& res) {
  res.set_content("ok\n", "text/plain");
}

void get_readyz(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  if (ctx.draining) {
    set_problem(res, 503, "shutting down");
    return;
  }
  res.set_content("ready\n", "text/plain");
}

void get_metrics(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  Result<int> queued = ctx.store->queued_count();
  res.set_content(ctx.metrics->render({.queue_depth = queued.is_ok() ? *queued : 0,
                                       .running = ctx.worker->running_count(),
                                       .open_connections = ctx.http->open_connections(),
                                       .queued_requests = ctx.http->queued_requests(),
                                       .ready = !ctx.draining}),
                  kPrometheusContentType);
}

void get_openapi(ApiContext&, const httplib::Request&, httplib::Response& res) {
  set_json(res, 200, openapi_document());
}

}  // namespace resr
