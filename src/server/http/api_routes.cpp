#include "server/http/api_routes.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <random>

#include "resr/pending_file.hpp"
#include "resr/upscale.hpp"
#include "server/fetch/url_fetcher.hpp"
#include "server/http/openapi_document.hpp"
#include "server/http/problem_response.hpp"
#include "server/http/request_admission.hpp"
#include "server/http/token_auth.hpp"
#include "server/http/ui_route.hpp"
#include "server/tasks/task_parameters.hpp"

namespace resr {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kRetryAfterSeconds = 1;

using Clock = std::chrono::steady_clock;

// The request this connection thread serves, for its metrics: the matched
// route and when its headers were read.
thread_local std::string t_route;
thread_local Clock::time_point t_request_start;

std::string new_task_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char id[33];
  std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(random()));
  return id;
}

void set_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void refuse_unread(httplib::Response& res, int status, const std::string& detail) {
  set_problem(res, status, detail);
  res.set_header("Connection", "close");
  BoundedHttpServer::close_connection_after_response();
}

// The gate: token first, then a body that must have a length within the cap.
// Runs before the body is read, for Expect: 100-continue as well.
int check_request(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  bool open_route = false;
  for (const Route& r : api_routes()) {
    if (!r.needs_token && req.method == r.method && req.path == r.openapi_path) open_route = true;
  }
  if (req.method == "GET" && req.path == "/" && prefers_html(req)) open_route = true;  // the page
  if (!open_route && !request_has_token(req, ctx.config->token)) {
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

std::string content_type_for(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".png") return "image/png";
  if (ext == ".jpg") return "image/jpeg";
  if (ext == ".webp") return "image/webp";
  if (ext == ".tif") return "image/tiff";
  return "application/octet-stream";
}

// Streams a file as the response body; `after` runs once it was sent or failed.
Status send_file(httplib::Response& res, const fs::path& file,
                 std::function<void()> after = nullptr) {
  auto in = std::make_shared<std::ifstream>(file, std::ios::binary);
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (!*in || ec) return error(ErrorCode::kNotFound, "the result file is gone");
  res.set_content_provider(
      static_cast<size_t>(size), content_type_for(file),
      [in](size_t offset, size_t length, httplib::DataSink& sink) {
        char chunk[64 * 1024];
        in->seekg(static_cast<std::streamoff>(offset));
        const size_t n = std::min(length, sizeof chunk);
        in->read(chunk, static_cast<std::streamsize>(n));
        if (in->gcount() <= 0) return false;
        sink.write(chunk, static_cast<size_t>(in->gcount()));
        return true;
      },
      [after = std::move(after)](bool) {
        if (after) after();
      });
  return Status::ok();
}

// Writes bytes durably (temp file, fsync, rename): an accepted task's input
// survives a kill -9.
Status write_durably(const fs::path& path, const std::string& bytes) {
  auto file = PendingFile::create(path);
  Status stored = file.is_ok() ? (*file)->write(bytes) : file.status();
  if (stored.is_ok()) stored = (*file)->commit();
  if (!stored.is_ok()) {
    return error(ErrorCode::kIoError,
                 "cannot store the upload in " + path.string() + " (disk full?)");
  }
  return Status::ok();
}

// Text fields of a request: the query, form fields, multipart text parts and
// the members of a JSON body.
Result<RequestFields> request_fields(const httplib::Request& req) {
  RequestFields fields;
  for (const auto& [name, value] : req.params) fields[name] = value;
  for (const auto& [name, part] : req.files) {
    if (part.filename.empty()) fields[name] = part.content;
  }
  if (req.get_header_value("Content-Type").rfind("application/json", 0) == 0) {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
      return error(ErrorCode::kInvalidArgument, "the JSON body is not an object");
    }
    for (const auto& [name, value] : body.items()) {
      fields[name] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  return fields;
}

const httplib::MultipartFormData* uploaded_file(const httplib::Request& req,
                                                std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const auto found = req.files.find(name);
    if (found != req.files.end()) return &found->second;
  }
  return nullptr;
}

json task_json(ApiContext& ctx, const TaskRecord& t) {
  json out = {
      {"task_id", t.id},
      {"status", task_state_name(t.state)},
      {"method", t.method},
      {"params", to_json(t.params)},
      {"input", {{"name", t.input_name}, {"width", t.input_width}, {"height", t.input_height}}},
      {"timings",
       {{"created_at", t.created_at},
        {"started_at", t.started_at},
        {"finished_at", t.finished_at},
        {"queued_seconds", t.started_at > 0 ? t.started_at - t.created_at : 0.0},
        {"run_seconds",
         t.finished_at > 0 && t.started_at > 0 ? t.finished_at - t.started_at : 0.0}}}};
  if (t.state == TaskState::kRunning) {
    if (const std::optional<RunningTask> running = ctx.worker->running(t.id)) {
      out["progress"] = {
          {"tiles_done", running->tiles_done},
          {"tiles_total", running->tiles_total},
          {"fraction", running->tiles_total > 0
                           ? static_cast<double>(running->tiles_done) / running->tiles_total
                           : 0.0}};
    }
  }
  if (t.state == TaskState::kSuccess) {
    out["output"] = {{"width", t.output_width},
                     {"height", t.output_height},
                     {"bytes", t.output_bytes},
                     {"format", fs::path(t.output_path).extension().string().substr(1)}};
    out["download_url"] = "/result/" + t.id + "/download";
    out["expires_at"] = t.expires_at;
  }
  if (!t.error.empty()) out["error"] = t.error;
  if (!t.error_code.empty()) out["error_code"] = t.error_code;
  return out;
}

// Finds the task named in the path; answers 404 / 410 itself when there is none.
std::optional<TaskRecord> path_task(ApiContext& ctx, const httplib::Request& req,
                                    httplib::Response& res) {
  const std::string id = req.matches[1];
  Result<std::optional<TaskRecord>> task = ctx.store->find(id);
  if (!task.is_ok()) {
    set_problem(res, task.status());
    return std::nullopt;
  }
  if (!task->has_value()) {
    set_problem(res, 404, "no task " + id + " (never created, or expired more than a day ago)");
    return std::nullopt;
  }
  if ((*task)->expired) {
    set_problem(res, 410,
                "the result of task " + id +
                    " expired and was deleted (server setting result_ttl_seconds)");
    return std::nullopt;
  }
  return **task;
}

// Downloads a `url` input; answers the refusal itself. The fetch runs here, on
// the connection's thread, not in the task worker: it then costs what a slow
// upload costs (this one connection, for at most url_fetch.timeout_seconds,
// with max_connections bounding all of them), while a fetch in the single
// worker would leave the model idle and every queued task waiting behind a
// slow remote host. The client also learns at once, with the same statuses as
// an upload, that its URL is refused or its image unusable, and the accepted
// input is on disk like an upload, so a restart never fetches it again.
std::optional<FetchedUrl> fetch_input(ApiContext& ctx, const std::string& url,
                                      httplib::Response& res) {
  // SIGTERM cuts a fetch short: the client gets 503 as for any new task.
  Result<FetchedUrl> fetched = [&] {
    RequestAdmission::Waiting waiting;  // on a remote host
    return fetch_url(url, ctx.config->url_fetch, &ctx.draining);
  }();
  if (fetched.is_ok()) return std::move(fetched).value();
  const Status& why = fetched.status();
  switch (why.code()) {
    case ErrorCode::kInvalidArgument:  // malformed, scheme, refused address, redirects, 4xx
      set_problem(res, 400, why.message(), {{"code", error_code_name(why.code())}});
      break;
    case ErrorCode::kResourceExhausted:  // as an upload over its cap
      set_problem(res, 413, why.message(), {{"code", error_code_name(why.code())}});
      break;
    case ErrorCode::kCancelled:
      set_problem(res, 503, "the server is shutting down; retry on its next start");
      res.set_header("Retry-After", std::to_string(kRetryAfterSeconds * 5));
      break;
    default:  // DNS, connection, TLS, 5xx, too slow
      set_problem(res, 502, why.message(), {{"code", error_code_name(why.code())}});
      break;
  }
  return std::nullopt;
}

// Validates an upload (or fetches a URL), stores it and queues its task. Answers errors itself;
// returns the task (a previous one for a repeated Idempotency-Key).
std::optional<TaskRecord> accept_task(ApiContext& ctx, const httplib::Request& req,
                                      httplib::Response& res, bool sync,
                                      std::initializer_list<const char*> file_fields) {
  if (ctx.draining) {
    set_problem(res, 503, "the server is shutting down; retry on its next start");
    res.set_header("Retry-After", std::to_string(kRetryAfterSeconds * 5));
    return std::nullopt;
  }
  Result<RequestFields> fields = request_fields(req);
  if (!fields.is_ok()) {
    set_problem(res, fields.status());
    return std::nullopt;
  }
  if (auto model = fields->find("model");
      model != fields->end() && model->second != ctx.runtime->name()) {
    set_problem(res, 422,
                "this server runs model '" + ctx.runtime->name() + "', not '" + model->second +
                    "'; omit 'model' or start a server with it");
    return std::nullopt;
  }
  Result<TaskParameters> params = parse_task_parameters(*fields, ctx.config->task_timeout_seconds);
  if (!params.is_ok()) {
    set_problem(res, params.status());
    return std::nullopt;
  }
  if (sync) {
    const std::string ext = req.get_param_value("ext");
    if (!ext.empty()) {
      if (!output_format_from_name(ext)) {
        set_problem(res, 400, "parameter 'ext' is '" + ext + "': expected .png, .jpg or .webp");
        return std::nullopt;
      }
      params->format = ext[0] == '.' ? ext.substr(1) : ext;
    } else if (params->format.empty()) {
      params->format = "png";
    }
  }
  const std::string key = req.get_header_value("Idempotency-Key");
  if (!sync && !key.empty()) {
    Result<std::optional<TaskRecord>> existing = ctx.store->find_by_idempotency_key(key);
    if (existing.is_ok() && existing->has_value()) return **existing;
  }
  const httplib::MultipartFormData* file = uploaded_file(req, file_fields);
  const auto url = fields->find("url");
  const bool has_url = url != fields->end();
  const std::string file_field = *file_fields.begin();
  if (has_url && sync) {
    set_problem(res, 400,
                "this route takes an uploaded image only (multipart/form-data field '" +
                    file_field + "'); send URLs to POST /sr");
    return std::nullopt;
  }
  if (file != nullptr && has_url) {
    set_problem(res, 400, "send either the file '" + file_field + "' or 'url', not both");
    return std::nullopt;
  }
  if (file == nullptr && !has_url) {
    set_problem(res, 400,
                "no image: send it as the multipart/form-data field '" + file_field +
                    "', or its address as 'url' (form field or JSON member)");
    return std::nullopt;
  }
  if (!sync) {
    Result<int> queued = ctx.store->queued_count();
    if (queued.is_ok() && *queued >= ctx.config->max_queue) {
      set_problem(res, 429,
                  "the queue is full (" + std::to_string(*queued) +
                      " tasks, server setting max_queue); retry later");
      res.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
      return std::nullopt;
    }
  }
  std::optional<FetchedUrl> fetched;
  if (has_url) {
    fetched = fetch_input(ctx, url->second, res);
    if (!fetched) return std::nullopt;
  }
  TaskRecord task;
  task.id = new_task_id();
  task.params = *params;
  task.sync = sync;
  task.idempotency_key = sync ? "" : key;
  task.input_name = has_url ? url->second : file->filename;
  task.input_path = (ctx.inputs_dir / task.id).string();
  task.created_at = unix_now();
  if (Status s = write_durably(task.input_path, has_url ? fetched->body : file->content);
      !s.is_ok()) {
    set_problem(res, 507, s.message());
    return std::nullopt;
  }
  auto discard_input = [&] {
    std::error_code ignored;
    fs::remove(task.input_path, ignored);
  };
  // The header alone decides the pixel limits, before any decoding.
  Result<InputImage> image = open_image(task.input_path, ctx.config->image_limits);
  if (!image.is_ok()) {
    discard_input();
    set_problem(res, 422, message_for_client(task, image.status().message()),
                {{"code", error_code_name(image.status().code())}});
    return std::nullopt;
  }
  const ImageInfo& info = image->info();
  task.input_width = info.width;
  task.input_height = info.height;
  Result<double> scale =
      final_scale(task.params, ctx.runtime->model().graph.scale, info.width, info.height);
  const int64_t out_w = scale.is_ok() ? upscaled_side(info.width, 1, *scale) : 0;
  const int64_t out_h = scale.is_ok() ? upscaled_side(info.height, 1, *scale) : 0;
  if (!scale.is_ok() || out_w * out_h > ctx.config->image_limits.max_output_pixels) {
    discard_input();
    set_problem(res, 422,
                "'" + task.input_name + "' would become " + std::to_string(out_w) + " x " +
                    std::to_string(out_h) + " pixels, over the output limit of " +
                    std::to_string(ctx.config->image_limits.max_output_pixels) +
                    " (server setting max_output_pixels); ask for a smaller scale");
    return std::nullopt;
  }
  Result<TaskRecord> stored = ctx.store->insert(task);
  if (!stored.is_ok()) {
    discard_input();
    set_problem(res, stored.status());
    return std::nullopt;
  }
  if (stored->id != task.id) discard_input();  // the key was taken meanwhile
  ctx.worker->wake();
  if (stored->id == task.id) ctx.metrics->task_submitted();
  return *stored;
}

void post_sr(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::optional<TaskRecord> task = accept_task(ctx, req, res, false, {"file", "image"});
  if (!task) return;
  res.set_header("Location", "/result/" + task->id);
  set_json(res, 202,
           {{"task_id", task->id},
            {"status", task_state_name(task->state)},
            {"status_url", "/result/" + task->id}});
}

void post_upscale(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::optional<TaskRecord> task = accept_task(ctx, req, res, true, {"image", "file"});
  if (!task) return;
  const int timeout = task->params.timeout_seconds > 0 ? task->params.timeout_seconds
                                                       : ctx.config->task_timeout_seconds;
  // The worker enforces the timeout while the task runs; this covers the wait before it.
  const bool finished = [&] {
    RequestAdmission::Waiting waiting;  // on the worker
    return ctx.worker->wait_finished(task->id, std::chrono::seconds(timeout + 5));
  }();
  if (!finished) {
    ctx.store->cancel_if_queued(task->id, unix_now());
    ctx.worker->cancel_running(task->id);
    set_problem(res, 504, "the image was not done within " + std::to_string(timeout) + " s");
    return;
  }
  Result<std::optional<TaskRecord>> done = ctx.store->find(task->id);
  if (!done.is_ok() || !done->has_value()) {
    set_problem(res, 500, "task " + task->id + " vanished");
    return;
  }
  TaskRecord t = **done;
  if (t.state != TaskState::kSuccess) {
    const int status = t.error_code == "timeout" ? 504
                       : t.error_code == error_code_name(ErrorCode::kInvalidImage) ||
                               t.error_code == error_code_name(ErrorCode::kUnsupported) ||
                               t.error_code == error_code_name(ErrorCode::kResourceExhausted)
                           ? 422
                           : 500;
    set_problem(res, status, t.error, {{"code", t.error_code}, {"task_id", t.id}});
    return;
  }
  res.set_header("X-Task-Id", t.id);
  res.set_header("X-Upscale-Method", t.method);
  // The client has its image: the result expires as soon as it is sent.
  TaskStore* store = ctx.store;
  const Status sent = send_file(res, t.output_path, [store, t]() mutable {
    std::error_code ignored;
    fs::remove(t.output_path, ignored);
    t.expired = true;
    store->update(t);
  });
  if (!sent.is_ok()) set_problem(res, sent);
}

void get_result(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (std::optional<TaskRecord> task = path_task(ctx, req, res))
    set_json(res, 200, task_json(ctx, *task));
}

void get_download(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::optional<TaskRecord> task = path_task(ctx, req, res);
  if (!task) return;
  if (task->state == TaskState::kQueued || task->state == TaskState::kRunning) {
    res.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
    set_json(res, 202, task_json(ctx, *task));
    return;
  }
  if (task->state != TaskState::kSuccess) {
    set_problem(
        res, 409,
        "task " + task->id + " has no result: it " +
            (task->state == TaskState::kCanceled ? "was canceled" : "failed: " + task->error),
        {{"task_id", task->id}, {"task_status", task_state_name(task->state)}});
    return;
  }
  const Status sent = send_file(res, task->output_path);
  if (!sent.is_ok()) set_problem(res, 410, "the result of task " + task->id + " is gone");
}

void delete_result(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::optional<TaskRecord> task = path_task(ctx, req, res);
  if (!task) return;
  // The store decides: the worker forgets a task only just after recording its end.
  if (is_final(task->state)) {
    set_problem(res, 409, "task " + task->id + " already ended: " + task_state_name(task->state),
                {{"task_id", task->id}, {"task_status", task_state_name(task->state)}});
    return;
  }
  Result<bool> canceled = ctx.store->cancel_if_queued(task->id, unix_now());
  if (canceled.is_ok() && *canceled) {
    std::error_code ignored;
    fs::remove(task->input_path, ignored);
    set_json(res, 200, {{"task_id", task->id}, {"status", "canceled"}});
    return;
  }
  if (ctx.worker->cancel_running(task->id)) {
    set_json(res, 202, {{"task_id", task->id}, {"status", "running"}, {"cancel_requested", true}});
    return;
  }
  Result<std::optional<TaskRecord>> now = ctx.store->find(task->id);
  const TaskState state = now.is_ok() && now->has_value() ? (*now)->state : task->state;
  set_problem(res, 409, "task " + task->id + " already ended: " + task_state_name(state),
              {{"task_id", task->id}, {"task_status", task_state_name(state)}});
}

void get_info(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (prefers_html(req)) return get_ui_page(ctx, req, res);
  set_json(res, 200,
           {{"name", "real-esrgan-serve"},
            {"version", RESR_VERSION},
            {"model", ctx.runtime->name()},
            {"docs", "/openapi.json"}});
}

void get_health(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  const ModelInfo& info = ctx.runtime->model().info;
  Result<int> queued = ctx.store->queued_count();
  const std::optional<RunningTask> running = ctx.worker->running();
  set_json(res, 200,
           {{"status", ctx.draining ? "draining" : "ok"},
            {"version", RESR_VERSION},
            {"model",
             {{"name", ctx.runtime->name()},
              {"arch", info.arch},
              {"scale", info.scale},
              {"loaded", true}}},
            {"backend", ctx.runtime->model().backend},
            {"precision", precision_name(ctx.runtime->model().precision)},
            {"threads", ctx.runtime->threads()},
            {"queue_depth", queued.is_ok() ? *queued : -1},
            {"running", running ? json(running->id) : json(nullptr)}});
}

void get_livez(ApiContext&, const httplib::Request&, httplib::Response& res) {
  res.set_content("ok\n", "text/plain");
}

void get_readyz(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  if (ctx.draining) {
    set_problem(res, 503, "shutting down");
    return;
  }
  res.set_content("ready\n", "text/plain");
}

void get_metrics(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  Result<int> queued = ctx.store->queued_count();
  res.set_content(ctx.metrics->render({.queue_depth = queued.is_ok() ? *queued : 0,
                                       .running = ctx.worker->running_count(),
                                       .open_connections = ctx.http->open_connections(),
                                       .queued_requests = ctx.http->queued_requests(),
                                       .ready = !ctx.draining}),
                  kPrometheusContentType);
}

void get_openapi(ApiContext&, const httplib::Request&, httplib::Response& res) {
  set_json(res, 200, openapi_document());
}

}  // namespace

const std::vector<Route>& api_routes() {
  static const std::vector<Route> routes = {
      {"GET", "/", "/", true, get_info},
      {"GET", "/health", "/health", true, get_health},
      {"GET", "/livez", "/livez", false, get_livez},
      {"GET", "/readyz", "/readyz", false, get_readyz},
      {"GET", "/metrics", "/metrics", true, get_metrics},
      {"GET", "/openapi.json", "/openapi.json", true, get_openapi},
      {"POST", "/sr", "/sr", true, post_sr},
      {"POST", "/upscale", "/upscale", true, post_upscale},
      {"GET", "/result/{id}", "/result/([0-9a-f]{1,64})", true, get_result},
      {"GET", "/result/{id}/download", "/result/([0-9a-f]{1,64})/download", true, get_download},
      {"DELETE", "/result/{id}", "/result/([0-9a-f]{1,64})", true, delete_result},
      {"GET", "/ui", "/ui", false, get_ui_page},
      {"GET", "/ui/page.js", "/ui/page\\.js", false, get_ui_script},
      {"GET", "/ui/page.css", "/ui/page\\.css", false, get_ui_style},
  };
  return routes;
}

void register_api_routes(BoundedHttpServer& server, ApiContext& context) {
  for (const Route& route : api_routes()) {
    auto handler = [&context, &route](const httplib::Request& req, httplib::Response& res) {
      t_route = route.openapi_path;
      route.handler(context, req, res);
    };
    if (route.method == "GET") {
      server.Get(route.pattern, handler);
    } else if (route.method == "POST") {
      server.Post(route.pattern, handler);
    } else if (route.method == "DELETE") {
      server.Delete(route.pattern, handler);
    }
  }
  server.set_request_gate([&context](const httplib::Request& req, httplib::Response& res) {
    t_request_start = Clock::now();
    return check_request(context, req, res) == 0 ? httplib::Server::HandlerResponse::Unhandled
                                                 : httplib::Server::HandlerResponse::Handled;
  });
  // Called once the response is written, with its final status.
  server.set_logger([&context](const httplib::Request& req, const httplib::Response& res) {
    const double seconds =
        t_request_start == Clock::time_point()
            ? 0.0
            : std::chrono::duration<double>(Clock::now() - t_request_start).count();
    context.metrics->request(req.method, t_route.empty() ? "unmatched" : t_route, res.status,
                             seconds);
    t_route.clear();
    t_request_start = Clock::time_point();
  });
  server.set_expect_100_continue_handler(
      [&context](const httplib::Request& req, httplib::Response& res) {
        const int refused = check_request(context, req, res);
        return refused == 0 ? 100 : refused;
      });
  // Unknown routes and httplib's own errors (bad request lines) as problems too.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (res.get_header_value("Content-Type") == "application/problem+json") {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        set_problem(res, res.status,
                    res.status == 404
                        ? "no route " + req.method + " " + req.path + "; see /openapi.json"
                        : "the request could not be served");
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        set_problem(res, 500, "internal error: " + what);
      });
}

}  // namespace resr
