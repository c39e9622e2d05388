#include "server/http/openapi_document.hpp"

#include "server/http/ui_route.hpp"

namespace resr {

namespace {

using nlohmann::json;

json problem_response(const char* description) {
  return {
      {"description", description},
      {"content",
       {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

json json_response(const char* description, const char* schema = "object") {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", {{"type", schema}}}}}}}};
}

json image_response(const char* description) {
  return {{"description", description},
          {"content",
           {{"image/png", json::object()},
            {"image/jpeg", json::object()},
            {"image/webp", json::object()},
            {"image/tiff", json::object()}}}};
}

json task_parameters_schema(const char* file_field) {
  json properties = {
      {file_field, {{"type", "string"}, {"format", "binary"}, {"description", "the image"}}},
      {"model", {{"type", "string"}, {"description", "must name the server's model when given"}}},
      {"scale",
       {{"type", "number"},
        {"minimum", 1},
        {"maximum", 8},
        {"description", "output size / input size (default: the model's scale)"}}},
      {"tile_size",
       {{"type", "integer"},
        {"description",
         "0 (automatic) or 32-4096; a tile whose model activations exceed the server's "
         "tile_memory is not run (the task fails, or falls back to Lanczos)"}}},
      {"skip_alpha",
       {{"type", "boolean"}, {"description", "alpha bicubic, not through the model"}}},
      {"resize_to", {{"type", "string"}, {"description", "WIDTHxHEIGHT (fit inside) or N/D"}}},
      {"format", {{"type", "string"}, {"enum", {"png", "jpg", "webp", "tif"}}}},
      {"timeout", {{"type", "integer"}, {"description", "seconds, at most task_timeout_seconds"}}},
      {"use_realesrgan", {{"type", "boolean"}, {"description", "false: Lanczos only"}}},
      {"fallback",
       {{"type", "boolean"},
        {"description",
         "Lanczos when the model fails (out of memory, a backend error); recorded as "
         "method lanczos-fallback with the reason in error"}}}};
  return {{"type", "object"}, {"properties", properties}};
}

json id_parameter() {
  return json::array(
      {{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}});
}

}  // namespace

const json& openapi_document() {
  static const json document = [] {
    json sr_body = task_parameters_schema("file");
    sr_body["properties"]["url"] = {{"type", "string"},
                                    {"description",
                                     "http(s) URL of the image, instead of file; fetched before "
                                     "the answer, under the url_fetch settings"}};
    json paths = {
        {"/",
         {{"get",
           {{"summary", "server information"},
            {"responses", {{"200", json_response("name, version, model")}}}}}}},
        {"/health",
         {{"get",
           {{"summary", "model, backend, precision, queue depth, version"},
            {"responses", {{"200", json_response("health")}}}}}}},
        {"/livez",
         {{"get",
           {{"summary", "the process is alive (no token needed)"},
            {"responses", {{"200", {{"description", "ok"}}}}}}}}},
        {"/readyz",
         {{"get",
           {{"summary", "ready for tasks; 503 while shutting down (no token needed)"},
            {"responses",
             {{"200", {{"description", "ready"}}}, {"503", problem_response("draining")}}}}}}},
        {"/metrics",
         {{"get",
           {{"summary",
             "Prometheus metrics: requests, task durations, queue depth, "
             "failures, pixels processed"},
            {"responses", {{"200", {{"description", "text exposition format 0.0.4"}}}}}}}}},
        {"/openapi.json",
         {{"get",
           {{"summary", "this document"}, {"responses", {{"200", json_response("OpenAPI")}}}}}}},
        {"/sr",
         {{"post",
           {{"summary", "queue an upscaling task"},
            {"parameters", json::array({{{"name", "Idempotency-Key"},
                                         {"in", "header"},
                                         {"schema", {{"type", "string"}}}}})},
            {"requestBody",
             {{"content",
               {{"multipart/form-data", {{"schema", sr_body}}},
                {"application/json", {{"schema", sr_body}}},
                {"application/x-www-form-urlencoded", {{"schema", sr_body}}}}}}},
            {"responses",
             {{"202", json_response("{task_id}, with a Location header")},
              {"400", problem_response("bad parameter; a url with a scheme other than http(s), "
                                       "an address or redirect to a refused address, too many "
                                       "redirects, or a 4xx from its host")},
              {"401", problem_response("missing or wrong token")},
              {"411", problem_response("chunked body refused")},
              {"413", problem_response("body over max_upload_bytes, or a url's body over "
                                       "url_fetch.max_bytes")},
              {"422", problem_response("not an image, or over a pixel limit")},
              {"429", problem_response("queue full; see Retry-After")},
              {"502", problem_response("a url's host could not be reached, timed out or "
                                       "answered 5xx")},
              {"503", problem_response("shutting down; see Retry-After")}}}}}}},
        {"/upscale",
         {{"post",
           {{"summary", "upscale synchronously; the image comes back in the body"},
            {"parameters",
             json::array(
                 {{{"name", "ext"},
                   {"in", "query"},
                   {"schema", {{"type", "string"}, {"enum", {".png", ".jpg", ".webp"}}}}}})},
            {"requestBody",
             {{"content",
               {{"multipart/form-data", {{"schema", task_parameters_schema("image")}}}}}}},
            {"responses",
             {{"200", image_response("the upscaled image")},
              {"400", problem_response("bad parameter")},
              {"413", problem_response("body over max_upload_bytes")},
              {"422", problem_response("not an image, or over a pixel limit")},
              {"504", problem_response("over the task timeout")}}}}}}},
        {"/result/{id}",
         {{"get",
           {{"summary", "a task's status, progress, method, sizes and timings"},
            {"parameters", id_parameter()},
            {"responses",
             {{"200", json_response("the task")},
              {"404", problem_response("unknown task")},
              {"410", problem_response("result expired")}}}}},
          {"delete",
           {{"summary", "cancel a queued or running task"},
            {"parameters", id_parameter()},
            {"responses",
             {{"200", json_response("canceled")},
              {"202", json_response("the running task is stopping")},
              {"404", problem_response("unknown task")},
              {"409", problem_response("already ended")}}}}}}},
        {"/result/{id}/download",
         {{"get",
           {{"summary", "the result image"},
            {"parameters", id_parameter()},
            {"responses",
             {{"200", image_response("the result")},
              {"202", json_response("not done yet; see Retry-After")},
              {"404", problem_response("unknown task")},
              {"409", problem_response("the task failed or was canceled")},
              {"410", problem_response("result expired")}}}}}}}};
    add_ui_to_openapi(paths);
    json doc = {
        {"openapi", "3.1.0"},
        {"info", {{"title", "real-esrgan-serve"}, {"version", RESR_VERSION}}},
        {"paths", paths},
        {"components",
         {{"schemas",
           {{"Problem",
             {{"type", "object"},
              {"description", "RFC 9457 problem details"},
              {"properties",
               {{"type", {{"type", "string"}}},
                {"title", {{"type", "string"}}},
                {"status", {{"type", "integer"}}},
                {"detail", {{"type", "string"}}}}}}}}},
          {"securitySchemes",
           {{"token", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-Token"}}},
            {"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
        {"security", json::array({{{"token", json::array()}}, {{"bearer", json::array()}}})}};
    return doc;
  }();
  return document;
}

}  // namespace resr
