// The HTTP API of the job server: one table of routes, registered on the
// server and described by /openapi.json (a test checks that the two agree).
#pragma once

#include <string>
#include <vector>

#include "server/http/api_context.hpp"
#include "server/http/bounded_http_server.hpp"

namespace resr {

struct Route {
  std::string method;        // "GET", "POST", "DELETE"
  std::string openapi_path;  // "/result/{id}"
  std::string pattern;       // the httplib regex
  bool needs_token = true;
  RouteHandler handler;
};

const std::vector<Route>& api_routes();

// Registers the routes, the request gate (token, body checks), problem+json
// errors and request metrics.
void register_api_routes(BoundedHttpServer& server, ApiContext& context);

}  // namespace resr
