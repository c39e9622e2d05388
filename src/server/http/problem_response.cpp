#include "server/http/problem_response.hpp"

namespace resr {

int http_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return 200;
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kInvalidImage:
    case ErrorCode::kUnsupported:
      return 422;
    case ErrorCode::kResourceExhausted:
      return 422;  // an image over a pixel cap; a full queue is answered with 429 by its route
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kCancelled:
      return 409;
    case ErrorCode::kInvalidModel:
    case ErrorCode::kIoError:
    case ErrorCode::kChecksumMismatch:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

namespace {

// The reason phrases of the statuses this server sends.
const char* reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 507:
      return "Insufficient Storage";
    default:
      return "Error";
  }
}

}  // namespace

void set_problem(httplib::Response& res, int status, const std::string& detail,
                 const nlohmann::json& extra) {
  nlohmann::json body = {{"type", "about:blank"},
                         {"title", reason_phrase(status)},
                         {"status", status},
                         {"detail", detail}};
  for (const auto& [key, value] : extra.items()) body[key] = value;
  res.status = status;
  res.set_content(body.dump(), "application/problem+json");
}

void set_problem(httplib::Response& res, const Status& status) {
  set_problem(res, http_status_for(status.code()), status.message(),
              {{"code", error_code_name(status.code())}});
}

void refuse_draining(httplib::Response& res) {
  set_problem(res, 503, "the server is shutting down; retry on its next start");
  res.set_header("Retry-After", std::to_string(kRetryAfterSeconds * 5));
}

}  // namespace resr
