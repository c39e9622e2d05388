#include "server/http/request_gate.hpp"

#include "server/http/api_routes.hpp"
#include "server/http/problem_response.hpp"
#include "server/http/token_auth.hpp"
#include "server/http/ui_route.hpp"

namespace resr {

namespace {

void refuse_unread(httplib::Response& res, int status, const std::string& detail) {
  set_problem(res, status, detail);
  res.set_header("Connection", "close");
  BoundedHttpServer::close_connection_after_response();
}

bool is_open_route(const httplib::Request& req) {
  for (const Route& r : api_routes()) {
    if (!r.needs_token && req.method == r.method && req.path == r.openapi_path) return true;
  }
  return req.method == "GET" && req.path == "/" && prefers_html(req);  // the page
}

}  // namespace

bool may_use_reserve(const ApiContext& ctx, const httplib::Request& req) {
  return is_open_route(req) ||
         (!ctx.config->token.empty() && request_has_token(req, ctx.config->token));
}

int check_request(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!is_open_route(req) && !request_has_token(req, ctx.config->token)) {
    refuse_unread(res, 401,
                  "missing or wrong API token: send it as 'X-Token: TOKEN' or "
                  "'Authorization: Bearer TOKEN'");
    res.set_header("WWW-Authenticate", "Bearer");
    return 401;
  }
  if (req.has_header("Transfer-Encoding")) {
    refuse_unread(res, 411, "chunked request bodies are refused: send a Content-Length");
    return 411;
  }
  const std::string length_text = req.get_header_value("Content-Length");
  // Without a length httplib would read the body until the client closes.
  if (length_text.empty() && req.method == "POST") {
    refuse_unread(res, 411,
                  "this request needs a body, sent with a Content-Length header (none was given)");
    return 411;
  }
  if (!length_text.empty()) {
    const unsigned long long length = std::strtoull(length_text.c_str(), nullptr, 10);
    if (length > static_cast<unsigned long long>(ctx.config->max_upload_bytes)) {
      refuse_unread(res, 413,
                    "the request body is " + length_text + " bytes, over the limit of " +
                        std::to_string(ctx.config->max_upload_bytes) +
                        " bytes (server setting max_upload_bytes)");
      return 413;
    }
  }
  return 0;
}

}  // namespace resr
