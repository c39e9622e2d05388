// The gate every request passes once its headers are read, before its body:
// the token (except on open routes), then a body with a length within the cap.
#pragma once

#include <httplib.h>

#include "server/http/api_context.hpp"

namespace resr {

// 0 when the request may go on; else the status it was refused with (the
// problem is in `res`, and the connection closes after it: the body is unread).
int check_request(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

}  // namespace resr
