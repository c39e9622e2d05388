// The service routes: what the server is (/), its health, the orchestrators'
// probes (/livez, /readyz), metrics and the OpenAPI document.
#pragma once

#include <httplib.h>

#include "server/http/api_context.hpp"

namespace resr {

void get_info(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void get_health(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void get_livez(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void get_readyz(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void get_metrics(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void get_openapi(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

}  // namespace resr
