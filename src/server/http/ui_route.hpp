// The web page (docs/web-ui.md): GET /ui, its script and its style sheet, and
// GET / for a browser. They need no token: the page holds no secret, and asks
// for the token when the API answers 401.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "server/http/api_context.hpp"

namespace resr {

void get_ui_page(ApiContext&, const httplib::Request&, httplib::Response& res);
void get_ui_script(ApiContext&, const httplib::Request&, httplib::Response& res);
void get_ui_style(ApiContext&, const httplib::Request&, httplib::Response& res);

// True when the request's Accept ranks text/html above application/json, as a
// browser's navigation does; curl's */* and API clients get JSON.
bool prefers_html(const httplib::Request& req);

// The page's routes in the OpenAPI document, and text/html as an answer of GET /.
void add_ui_to_openapi(nlohmann::json& paths);

}  // namespace resr
