// A JSON answer of the API (errors are problem documents: problem_response.hpp).
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace resr {

inline void set_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

}  // namespace resr
