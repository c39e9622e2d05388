// The task routes: POST /sr (queue), POST /upscale (synchronous), and
// GET / DELETE /result/{id} with its download.
#pragma once

#include <httplib.h>

#include "server/http/api_context.hpp"

namespace resr {

void post_sr(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void post_upscale(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void get_result(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void get_download(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);
void delete_result(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

}  // namespace resr
