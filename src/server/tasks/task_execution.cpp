#include "server/tasks/task_execution.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

// Errors the image or the request caused: Lanczos would meet them too. Running
// out of memory is the model's: Lanczos needs a small fraction of it (and an
// output over the pixel cap, the other kResourceExhausted, fails Lanczos too).
bool model_was_at_fault(ErrorCode code) {
  return code != ErrorCode::kCancelled && code != ErrorCode::kInvalidImage &&
         code != ErrorCode::kInvalidArgument && code != ErrorCode::kIoError;
}

// The request a task makes of the model: the client's tile_size, else the
// server's tile_size setting (0 is automatic: sized per image from the
// server's memory budget, tile_memory).
UpscaleRequest model_request(const TaskParameters& params, const ExecutionSettings& settings,
                             double scale) {
  UpscaleRequest request;
  request.outscale = scale;
  request.tile = params.tile_size >= 0 ? params.tile_size : settings.tile_size;
  request.memory_budget = settings.tile_memory_bytes;
  request.alpha = params.skip_alpha ? AlphaMode::kBicubic : AlphaMode::kModel;
  request.limits = settings.limits;
  return request;
}

// A client's tile_size may not make the model need more memory than the
// server's budget: one request could otherwise take all of the machine's
// memory. The model cannot run such a task within its memory, so it fails as
// out of memory, and `fallback` turns to Lanczos.
Status check_client_tile(const RunnableModel& model, const TaskParameters& params,
                         const UpscaleRequest& request, const UpscaleOptions& options,
                         const ImageInfo& info) {
  if (params.tile_size <= 0) return Status::ok();
  return check_tile_memory(options, memory_budget(model, request), info.width, info.height,
                           {"the server's budget", "server setting tile_memory"});
}

}  // namespace

Status execute_task(const ModelRuntime& runtime, Session& session, TaskRecord& task,
                    const ExecutionSettings& settings, const TileCallbacks& callbacks) {
  const TaskParameters& params = task.params;
  RESR_ASSIGN_OR_RETURN(InputImage image, open_image(task.input_path, settings.limits));
  const ImageInfo info = image.info();
  OutputFormat format = params.format.empty()
                            ? default_output_format(info)
                            : output_format_from_name(params.format).value_or(OutputFormat::kPng);
  if (info.has_alpha && !output_format_keeps_alpha(format)) format = OutputFormat::kPng;
  const fs::path output = settings.results_dir / (task.id + output_format_extension(format));
  const RunnableModel& model = runtime.model();
  // A task stored before final_scale was kept runs at the model's scale.
  const double scale = params.final_scale > 0 ? params.final_scale : model.graph.scale;
  task.input_width = info.width;
  task.input_height = info.height;

  Result<UpscaleReport> report = error(ErrorCode::kInternal, "not run");
  if (params.use_realesrgan) {
    const UpscaleRequest request = model_request(params, settings, scale);
    UpscaleOptions options = plan_upscale(model, request);
    options.callbacks = callbacks;
    const Status fits = check_client_tile(model, params, request, options, info);
    report = fits.is_ok() ? upscale_image(session, std::move(image), output, {format}, options)
                          : Result<UpscaleReport>(fits);
    task.method = "realesrgan";
    if (!report.is_ok() && params.fallback && model_was_at_fault(report.status().code())) {
      task.error = "the model failed (" + report.status().message() + "); Lanczos was used";
      RESR_ASSIGN_OR_RETURN(InputImage again, open_image(task.input_path, settings.limits));
      report = resize_image(std::move(again), output, {format}, scale, settings.limits);
      task.method = "lanczos-fallback";
    }
  } else {
    report = resize_image(std::move(image), output, {format}, scale, settings.limits);
    task.method = "lanczos";
  }
  if (!report.is_ok()) return report.status();
  task.output_path = output.string();
  task.output_width = report->width;
  task.output_height = report->height;
  std::error_code ec;
  task.output_bytes = static_cast<int64_t>(fs::file_size(output, ec));
  return Status::ok();
}

}  // namespace resr
