#include "server/http/api_routes.hpp"

#include <chrono>

#include "server/http/problem_response.hpp"
#include "server/http/request_gate.hpp"
#include "server/http/service_routes.hpp"
#include "server/http/task_routes.hpp"
#include "server/http/ui_route.hpp"

namespace resr {

namespace {

using Clock = std::chrono::steady_clock;

// The request this connection thread serves, for its metrics: the matched
// route and when its headers were read.
thread_local std::string t_route;
thread_local Clock::time_point t_request_start;

}  // namespace

const std::vector<Route>& api_routes() {
  static const std::vector<Route> routes = {
      {"GET", "/", "/", true, get_info},
      {"GET", "/health", "/health", true, get_health},
      {"GET", "/livez", "/livez", false, get_livez},
      {"GET", "/readyz", "/readyz", false, get_readyz},
      {"GET", "/metrics", "/metrics", true, get_metrics},
      {"GET", "/openapi.json", "/openapi.json", true, get_openapi},
      {"POST", "/sr", "/sr", true, post_sr},
      {"POST", "/upscale", "/upscale", true, post_upscale},
      {"GET", "/result/{id}", "/result/([0-9a-f]{1,64})", true, get_result},
      {"GET", "/result/{id}/download", "/result/([0-9a-f]{1,64})/download", true, get_download},
      {"DELETE", "/result/{id}", "/result/([0-9a-f]{1,64})", true, delete_result},
      {"GET", "/ui", "/ui", false, get_ui_page},
      {"GET", "/ui/page.js", "/ui/page\\.js", false, get_ui_script},
      {"GET", "/ui/page.css", "/ui/page\\.css", false, get_ui_style},
  };
  return routes;
}

void register_api_routes(BoundedHttpServer& server, ApiContext& context) {
  for (const Route& route : api_routes()) {
    auto handler = [&context, &route](const httplib::Request& req, httplib::Response& res) {
      t_route = route.openapi_path;
      route.handler(context, req, res);
    };
    if (route.method == "GET") {
      server.Get(route.pattern, handler);
    } else if (route.method == "POST") {
      server.Post(route.pattern, handler);
    } else if (route.method == "DELETE") {
      server.Delete(route.pattern, handler);
    }
  }
  server.set_request_gate([&context](const httplib::Request& req, httplib::Response& res) {
    t_request_start = Clock::now();
    return check_request(context, req, res) == 0 ? httplib::Server::HandlerResponse::Unhandled
                                                 : httplib::Server::HandlerResponse::Handled;
  });
  server.set_privileged_request(
      [&context](const httplib::Request& req) { return may_use_reserve(context, req); });
  // Called once the response is written, with its final status.
  server.set_logger([&context](const httplib::Request& req, const httplib::Response& res) {
    const double seconds =
        t_request_start == Clock::time_point()
            ? 0.0
            : std::chrono::duration<double>(Clock::now() - t_request_start).count();
    context.metrics->request(req.method, t_route.empty() ? "unmatched" : t_route, res.status,
                             seconds);
    t_route.clear();
    t_request_start = Clock::time_point();
  });
  server.set_expect_100_continue_handler(
      [&context](const httplib::Request& req, httplib::Response& res) {
        const int refused = check_request(context, req, res);
        return refused == 0 ? 100 : refused;
      });
  // Unknown routes and httplib's own errors (bad request lines) as problems too.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (res.get_header_value("Content-Type") == "application/problem+json") {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        set_problem(res, res.status,
                    res.status == 404
                        ? "no route " + req.method + " " + req.path + "; see /openapi.json"
                        : "the request could not be served");
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        set_problem(res, 500, "internal error: " + what);
      });
}

}  // namespace resr
