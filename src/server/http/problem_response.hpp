// RFC 9457 problem details: every error the server returns is an
// application/problem+json body with a type, a title, the HTTP status and a
// detail that says what went wrong and what to do.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "resr/status.hpp"

namespace resr {

// The HTTP status for an error a request caused or met.
int http_status_for(ErrorCode code);

// Fills `res` with a problem of `status`; `extra` members are added to the body.
void set_problem(httplib::Response& res, int status, const std::string& detail,
                 const nlohmann::json& extra = nlohmann::json::object());

// The problem for a Status, with its error code name as `code`.
void set_problem(httplib::Response& res, const Status& status);

// Seconds a client is asked to wait (Retry-After) before retrying a refusal.
inline constexpr int kRetryAfterSeconds = 1;

// 503 + Retry-After: the server is shutting down.
void refuse_draining(httplib::Response& res);

}  // namespace resr
