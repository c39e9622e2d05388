#include "server/http/task_routes.hpp"

#include <fstream>
#include <memory>

#include "server/http/json_response.hpp"
#include "server/http/problem_response.hpp"
#include "server/http/request_admission.hpp"
#include "server/http/task_intake.hpp"

namespace resr {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

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
    std::optional<RunningTask> running = ctx.worker->running(t.id);
    // Cluster mode: another node runs it and reports its progress in the store.
    if (!running && t.tiles_total > 0) running = RunningTask{t.id, t.tiles_done, t.tiles_total};
    if (running) {
      out["progress"] = {
          {"tiles_done", running->tiles_done},
          {"tiles_total", running->tiles_total},
          {"fraction", running->tiles_total > 0
                           ? static_cast<double>(running->tiles_done) / running->tiles_total
                           : 0.0}};
    }
  }
  if (!t.node.empty()) out["node"] = t.node;
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

// Cluster mode: asks the node that runs task `id` to stop it.
bool running_elsewhere_canceled(ApiContext& ctx, const std::string& id) {
  Result<bool> asked = ctx.store->request_cancel(id);
  return asked.is_ok() && *asked;
}

}  // namespace

void post_sr(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::optional<TaskRecord> task = accept_task(ctx, req, res, {false, {"file", "image"}});
  if (!task) return;
  res.set_header("Location", "/result/" + task->id);
  set_json(res, 202,
           {{"task_id", task->id},
            {"status", task_state_name(task->state)},
            {"status_url", "/result/" + task->id}});
}

void post_upscale(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::optional<TaskRecord> task = accept_task(ctx, req, res, {true, {"image", "file"}});
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
    if (!ctx.worker->cancel_running(task->id)) running_elsewhere_canceled(ctx, task->id);
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
  Result<OutputFile> output = store->output_file(t);
  const Status sent = output.is_ok() ? send_file(res, output->path,
                                                 [store, t, file = output->path]() mutable {
                                                   std::error_code ignored;
                                                   fs::remove(file, ignored);
                                                   t.expired = true;
                                                   store->update(t);
                                                 })
                                     : output.status();
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
  Result<OutputFile> output = ctx.store->output_file(*task);
  const Status sent = output.is_ok() ? send_file(res, output->path,
                                                 [copy = *output] {
                                                   std::error_code ignored;
                                                   if (copy.temporary)
                                                     fs::remove(copy.path, ignored);
                                                 })
                                     : output.status();
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
  if (ctx.worker->cancel_running(task->id) || running_elsewhere_canceled(ctx, task->id)) {
    set_json(res, 202, {{"task_id", task->id}, {"status", "running"}, {"cancel_requested", true}});
    return;
  }
  Result<std::optional<TaskRecord>> now = ctx.store->find(task->id);
  const TaskState state = now.is_ok() && now->has_value() ? (*now)->state : task->state;
  set_problem(res, 409, "task " + task->id + " already ended: " + task_state_name(state),
              {{"task_id", task->id}, {"task_status", task_state_name(state)}});
}

}  // namespace resr
