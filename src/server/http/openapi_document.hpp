// The OpenAPI 3.1 description of the job server's API, served at /openapi.json.
// Its paths and methods are exactly the routes of api_routes() (tested).
#pragma once

#include <nlohmann/json.hpp>

namespace resr {

const nlohmann::json& openapi_document();

}  // namespace resr
