#include "server/http/task_intake.hpp"

#include <openssl/sha.h>

#include <random>

#include "resr/pending_file.hpp"
#include "resr/upscale.hpp"
#include "server/fetch/url_fetcher.hpp"
#include "server/http/json_body.hpp"
#include "server/http/problem_response.hpp"
#include "server/http/request_admission.hpp"
#include "server/tasks/task_parameters.hpp"

namespace resr {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string new_task_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char id[33];
  std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(random()));
  return id;
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
    Result<json> body = parse_json_object(req.body);
    if (!body.is_ok()) return body.status();
    for (const auto& [name, value] : body->items()) {
      fields[name] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  return fields;
}

struct ParsedRequest {
  RequestFields fields;
  TaskParameters params;
};

// Step 1: the request's fields and parameters, the model it names, the
// synchronous route's output extension.
std::optional<ParsedRequest> parse_request(ApiContext& ctx, const httplib::Request& req,
                                           httplib::Response& res, bool sync) {
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
  return ParsedRequest{std::move(fields).value(), std::move(params).value()};
}

// Where the image comes from: an uploaded part, or a URL to fetch.
struct InputSource {
  const httplib::MultipartFormData* file = nullptr;
  std::optional<std::string> url;
};

// Step 2: exactly one input, of a kind the route takes.
std::optional<InputSource> validate_input(const httplib::Request& req, const RequestFields& fields,
                                          httplib::Response& res, const IntakeRoute& route) {
  InputSource source;
  for (const char* name : route.file_fields) {
    const auto found = req.files.find(name);
    if (found != req.files.end()) {
      source.file = &found->second;
      break;
    }
  }
  if (const auto url = fields.find("url"); url != fields.end()) source.url = url->second;
  const std::string file_field = *route.file_fields.begin();
  if (source.url && route.sync) {
    set_problem(res, 400,
                "this route takes an uploaded image only (multipart/form-data field '" +
                    file_field + "'); send URLs to POST /sr");
    return std::nullopt;
  }
  if (source.file != nullptr && source.url) {
    set_problem(res, 400, "send either the file '" + file_field + "' or 'url', not both");
    return std::nullopt;
  }
  if (source.file == nullptr && !source.url) {
    set_problem(res, 400,
                "no image: send it as the multipart/form-data field '" + file_field +
                    "', or its address as 'url' (form field or JSON member)");
    return std::nullopt;
  }
  return source;
}

// What a request asks for, as a SHA-256: its parameters and its input (the
// uploaded bytes and name, or the URL, unfetched).
std::string request_digest(const TaskParameters& params, const InputSource& source, bool sync) {
  std::string what = to_json(params).dump() + (sync ? "\nsync\n" : "\nqueued\n");
  what += source.url ? "url\n" + *source.url
                     : "file\n" + source.file->filename + "\n" + source.file->content;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(what.data()), what.size(), digest);
  std::string hex;
  for (unsigned char byte : digest) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[byte >> 4];
    hex += kHex[byte & 15];
  }
  return hex;
}

// A task found under the request's Idempotency-Key is its answer only if it
// was made by the same request (IETF Idempotency-Key draft: 422 otherwise).
// Tasks stored before digests were kept have none and are taken as the same.
bool same_request(const TaskRecord& found, const std::string& digest, httplib::Response& res) {
  if (found.request_digest.empty() || found.request_digest == digest) return true;
  set_problem(res, 422,
              "this Idempotency-Key was used for another request (other parameters, file or "
              "URL); send a new key for a new request",
              {{"task_id", found.id}});
  return false;
}

// Step 3: a repeated Idempotency-Key names the task it created. nullopt
// with `res` set: refused; nullopt else: a new request.
std::optional<TaskRecord> repeated_task(ApiContext& ctx, const std::string& key,
                                        const std::string& digest, httplib::Response& res,
                                        bool& refused) {
  refused = false;
  if (key.empty()) return std::nullopt;
  if (key.size() > kMaxIdempotencyKeyBytes) {
    set_problem(res, 400,
                "the Idempotency-Key header is " + std::to_string(key.size()) +
                    " bytes, over the limit of " + std::to_string(kMaxIdempotencyKeyBytes));
    refused = true;
    return std::nullopt;
  }
  Result<std::optional<TaskRecord>> existing = ctx.store->find_by_idempotency_key(key);
  if (!existing.is_ok() || !existing->has_value()) return std::nullopt;
  if (!same_request(**existing, digest, res)) {
    refused = true;
    return std::nullopt;
  }
  return **existing;
}

bool queue_has_room(ApiContext& ctx, httplib::Response& res) {
  Result<int> queued = ctx.store->queued_count();
  if (queued.is_ok() && *queued >= ctx.config->max_queue) {
    set_problem(res, 429,
                "the queue is full (" + std::to_string(*queued) +
                    " tasks, server setting max_queue); retry later");
    res.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
    return false;
  }
  return true;
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
      refuse_draining(res);
      break;
    default:  // DNS, connection, TLS, 5xx, too slow
      set_problem(res, 502, why.message(), {{"code", error_code_name(why.code())}});
      break;
  }
  return std::nullopt;
}

// The image's size from its header alone (the pixel limits are decided before
// any decoding) and the final scale, computed once here and kept in the task.
bool measure_input(ApiContext& ctx, TaskRecord& task, httplib::Response& res) {
  Result<InputImage> image = open_image(task.input_path, ctx.config->image_limits);
  if (!image.is_ok()) {
    set_problem(res, 422, message_for_client(task, image.status().message()),
                {{"code", error_code_name(image.status().code())}});
    return false;
  }
  const ImageInfo& info = image->info();
  task.input_width = info.width;
  task.input_height = info.height;
  const int model_scale = ctx.runtime->model().graph.scale;
  Result<double> scale = final_scale(task.params, model_scale, info.width, info.height);
  const PixelSize out =
      scale.is_ok() ? output_size(info.width, info.height, model_scale, *scale) : PixelSize{};
  if (!scale.is_ok() ||
      static_cast<int64_t>(out.width) * out.height > ctx.config->image_limits.max_output_pixels) {
    set_problem(res, 422,
                "'" + task.input_name + "' would become " + std::to_string(out.width) + " x " +
                    std::to_string(out.height) + " pixels, over the output limit of " +
                    std::to_string(ctx.config->image_limits.max_output_pixels) +
                    " (server setting max_output_pixels); ask for a smaller scale");
    return false;
  }
  task.params.final_scale = *scale;
  return true;
}

// Step 4: the input on disk, measured, and the task in the store.
std::optional<TaskRecord> store_task(ApiContext& ctx, TaskRecord task, const std::string& bytes,
                                     httplib::Response& res) {
  task.input_path = (ctx.inputs_dir / task.id).string();
  if (Status s = write_durably(task.input_path, bytes); !s.is_ok()) {
    set_problem(res, 507, s.message());
    return std::nullopt;
  }
  auto discard_input = [&] {
    std::error_code ignored;
    fs::remove(task.input_path, ignored);
  };
  if (!measure_input(ctx, task, res)) {
    discard_input();
    return std::nullopt;
  }
  Result<TaskRecord> stored = ctx.store->insert(task);
  if (!stored.is_ok()) {
    discard_input();
    const ErrorCode code = stored.status().code();
    // Cluster mode: an input too large for the queue, or the queue unreachable.
    if (code == ErrorCode::kUnavailable) {
      res.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
    }
    set_problem(res, code == ErrorCode::kResourceExhausted ? 413 : http_status_for(code),
                stored.status().message(), {{"code", error_code_name(code)}});
    return std::nullopt;
  }
  if (stored->id != task.id) {  // the key was taken meanwhile
    discard_input();
    if (!same_request(*stored, task.request_digest, res)) return std::nullopt;
  }
  ctx.worker->wake();
  if (stored->id == task.id) ctx.metrics->task_submitted();
  return *stored;
}

}  // namespace

std::optional<TaskRecord> accept_task(ApiContext& ctx, const httplib::Request& req,
                                      httplib::Response& res, const IntakeRoute& route) {
  if (ctx.draining) {
    refuse_draining(res);
    return std::nullopt;
  }
  std::optional<ParsedRequest> parsed = parse_request(ctx, req, res, route.sync);
  if (!parsed) return std::nullopt;
  std::optional<InputSource> source = validate_input(req, parsed->fields, res, route);
  if (!source) return std::nullopt;
  const std::string key = route.sync ? "" : req.get_header_value("Idempotency-Key");
  const std::string digest = request_digest(parsed->params, *source, route.sync);
  bool refused = false;
  if (std::optional<TaskRecord> repeated = repeated_task(ctx, key, digest, res, refused)) {
    return repeated;
  }
  if (refused) return std::nullopt;
  if (!route.sync && !queue_has_room(ctx, res)) return std::nullopt;
  std::optional<FetchedUrl> fetched;
  if (source->url) {
    fetched = fetch_input(ctx, *source->url, res);
    if (!fetched) return std::nullopt;
  }
  TaskRecord task;
  task.id = new_task_id();
  task.params = parsed->params;
  task.sync = route.sync;
  task.idempotency_key = key;
  task.request_digest = digest;
  task.input_name = source->url ? *source->url : source->file->filename;
  task.created_at = unix_now();
  return store_task(ctx, std::move(task), fetched ? fetched->body : source->file->content, res);
}

}  // namespace resr
