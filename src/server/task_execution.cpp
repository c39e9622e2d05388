#include "server/task_execution.hpp"

#include "engine/tile_profile.hpp"
#include "pipeline/auto_tile.hpp"
#include "pipeline/image_upscaler.hpp"
#include "pipeline/output_format.hpp"
#include "server/task_parameters.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {

// Errors the image or the request caused: Lanczos would meet them too.
bool model_was_at_fault(ErrorCode code) {
  return code != ErrorCode::kCancelled && code != ErrorCode::kInvalidImage &&
         code != ErrorCode::kInvalidArgument && code != ErrorCode::kResourceExhausted &&
         code != ErrorCode::kIoError;
}

}  // namespace

Status execute_task(ModelRuntime& runtime, TaskRecord& task, const ExecutionSettings& settings,
                    const TileCallbacks& callbacks) {
  const TaskParameters& params = task.params;
  RESR_ASSIGN_OR_RETURN(InputImage image, open_image(task.input_path, settings.limits));
  const ImageInfo info = image.info();
  OutputFormat format = params.format.empty()
                            ? default_output_format(info)
                            : output_format_from_name(params.format).value_or(OutputFormat::kPng);
  if (info.has_alpha && !output_format_keeps_alpha(format)) format = OutputFormat::kPng;
  const fs::path output = settings.results_dir / (task.id + output_format_extension(format));
  const Graph& graph = runtime.model().graph;
  RESR_ASSIGN_OR_RETURN(double scale, final_scale(params, graph.scale, info.width, info.height));
  task.input_width = info.width;
  task.input_height = info.height;

  Result<UpscaleReport> report = error(ErrorCode::kInternal, "not run");
  if (params.use_realesrgan) {
    UpscaleOptions options;
    options.model_scale = graph.scale;
    options.input_multiple = runtime.model().input_multiple();
    options.outscale = scale;
    options.tile = params.tile_size >= 0    ? params.tile_size
                   : settings.tile_size > 0 ? settings.tile_size
                                            : auto_tile_size(graph, settings.tile_memory_bytes);
    options.alpha = params.skip_alpha ? AlphaMode::kBicubic : AlphaMode::kModel;
    options.limits = settings.limits;
    options.callbacks = callbacks;
    report = upscale_image(runtime.session(), std::move(image), output, {format}, options);
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
